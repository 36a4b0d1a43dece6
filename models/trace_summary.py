#!/usr/bin/env python3
"""Summarises a `livepuppet-cli bench --trace FILE` Chrome trace: per animate
call, the GPU span (first kernel start to last kernel end), the time spent in
kernels and the time between them, and the kernels that take the most time.
Writes one call's kernels in order, with the gap before each, to FILE.frame.txt.
Calls are told apart by an idle GPU gap of more than 40 us.

  trace_summary.py TRACE.json"""
import json, sys, statistics, collections
path = sys.argv[1]
ev = json.load(open(path))['traceEvents']
k = sorted([e for e in ev if e.get('cat') == 'kernel' and 'dur' in e], key=lambda e: e['ts'])
print('kernels', len(k), 'runtime', collections.Counter(e['name'] for e in ev if e.get('cat') == 'cuda_runtime').most_common(6))
calls, cur = [], [k[0]]
for a, b in zip(k, k[1:]):
    if b['ts'] - (a['ts'] + a['dur']) > 40: calls.append(cur); cur = []
    cur.append(b)
calls.append(cur)
sizes = collections.Counter(len(c) for c in calls)
print('calls', len(calls), 'kernel counts', sizes.most_common(4))
n = sizes.most_common(1)[0][0]
good = [c for c in calls if len(c) == n]
span = [c[-1]['ts'] + c[-1]['dur'] - c[0]['ts'] for c in good]
busy = [sum(e['dur'] for e in c) for c in good]
print(f'per call: {n} kernels, span p50 {statistics.median(span)/1000:.3f} ms, kernel time {statistics.median(busy)/1000:.3f} ms, '
      f'between kernels {statistics.median([s - b for s, b in zip(span, busy)])/1000:.3f} ms')
c = good[len(good) // 2]
with open(path + '.frame.txt', 'w') as f:
    prev = c[0]['ts']
    for e in c:
        f.write(f"{(e['ts'] - c[0]['ts']):9.1f} gap {e['ts'] - prev:6.1f} dur {e['dur']:7.1f}  {e['name'][:150]}\n")
        prev = e['ts'] + e['dur']
agg = collections.defaultdict(float)
for e in c: agg[e['name'][:90]] += e['dur']
for name, d in sorted(agg.items(), key=lambda x: -x[1])[:25]: print(f'  {d/1000:7.3f} ms  {name}')
