#version 330 core
// Classic engine mesh warp: samples the source (or the still background's
// person layer) through the driven mesh, tints closing lids, shades the mouth
// interior, and writes alpha = feathered region mask x person alpha. The pass
// blends that over the backdrop it copied into the target first (the still
// background's plate, else the source), so outside the mask, where alpha is 0,
// the backdrop, which is the source there, stays bit for bit.
//
// Compiled twice: for the skin triangles, and with LP_MOUTH_PASS defined for
// the mouth-interior triangles. One program per kind instead of a uniform
// branch: software GL (llvmpipe) runs a branch's body for every pixel whether
// or not it is taken, and the mouth shading is a third of the skin's cost.
in vec2 v_uv;
in float v_tint;
in vec3 v_tint_color;  // RGB 0..1, interpolated separately from v_tint (as the CPU oracle does)

// RGB = colour, A = person alpha (1 for a source without a still background).
uniform sampler2D u_source;      // linear filtering, clamp to edge (the pass binds a sampler)

uniform vec2 u_mask_center;      // pixels
uniform vec2 u_mask_inv_axes;    // 1 / semi-axes, pixels^-1
uniform vec2 u_mask_rot;         // (cos, sin) of the mask angle
uniform vec2 u_mask_feather;     // (inner, outer) normalised radii

#ifdef LP_MOUTH_PASS
uniform float u_mouth_darkness;  // 0 = plain texture .. 1 = full mouth shade
uniform vec3 u_mouth_top;        // RGB 0..1, cavity under the teeth
uniform vec3 u_mouth_bottom;     // RGB 0..1, cavity towards the lower lip
uniform vec3 u_mouth_teeth;      // RGB 0..1, upper teeth in the mouth's shadow
uniform vec3 u_mouth_tongue;     // RGB 0..1
// The opening (MouthOpening in engine/classic/warp_mesh.h): a frame at corner
// 60 (x along the corner line, y towards the lower lip) and the inner lips as
// two chains of u_mouth_points points in that frame, corner to corner.
const int kMouthMaxPoints = 9;   // MouthOpening::kMaxPoints
uniform vec2 u_mouth_origin;     // pixels
uniform vec2 u_mouth_axis;       // unit
uniform vec2 u_mouth_across;     // unit, towards the lower lip
uniform vec2 u_mouth_upper[kMouthMaxPoints];
uniform vec2 u_mouth_lower[kMouthMaxPoints];
uniform int u_mouth_points;      // 0: no opening (v = 0.5, no edge fade, no teeth)
uniform float u_mouth_teeth_depth;  // the teeth's edge at the middle (frame y, pixels)
// The source's own opening (WarpMesh::source_mouth, source pixels), the same
// way; 0 points: its lips are together, nothing rides with the upper lip.
uniform vec2 u_source_mouth_origin;
uniform vec2 u_source_mouth_axis;
uniform vec2 u_source_mouth_across;
uniform vec2 u_source_mouth_upper[kMouthMaxPoints];
uniform vec2 u_source_mouth_lower[kMouthMaxPoints];
uniform int u_source_mouth_points;
uniform vec2 u_size;             // source (= output) size in pixels (also the vertex stage's)

// As mouth_shade() in engine/classic/warp_render_cpu.h (the CPU oracle).
const float kMouthTeethEdgePx = 0.75;
const float kMouthTeethCornerShade = 0.7;
const float kMouthTeethHiddenMiddle = 0.1;
const float kMouthTeethShownMiddle = 0.55;
const float kMouthTongueStart = 0.55;
const float kMouthTongueShare = 0.6;
// As MouthOpening::kCarriedFrom / kCarriedTo.
const float kMouthCarriedFrom = 0.6;
const float kMouthCarriedTo = 0.85;
#endif

out vec4 frag_color;

#ifdef LP_MOUTH_PASS
// A chain's y at x, linear between its points and flat beyond its ends (x),
// and its slope there (y). Chains: 0 upper, 1 lower, 2 the source's upper,
// 3 the source's lower.
vec2 chain_point(int chain, int i) {
  if (chain == 0) return u_mouth_upper[i];
  if (chain == 1) return u_mouth_lower[i];
  if (chain == 2) return u_source_mouth_upper[i];
  return u_source_mouth_lower[i];
}

vec2 chain_y(int chain, float x) {
  int points = chain < 2 ? u_mouth_points : u_source_mouth_points;
  vec2 prev = chain_point(chain, 0);
  if (x <= prev.x) return vec2(prev.y, 0.0);
  for (int i = 1; i < kMouthMaxPoints; ++i) {
    if (i >= points) break;
    vec2 p = chain_point(chain, i);
    if (x <= p.x) {
      float w = p.x - prev.x;
      if (w <= 1e-6) return vec2(p.y, 0.0);
      float slope = (p.y - prev.y) / w;
      return vec2(prev.y + (p.y - prev.y) * ((x - prev.x) / w), slope);
    }
    prev = p;
  }
  return vec2(prev.y, 0.0);
}

// The opening's sample at pixel centre p, as MouthOpening::at: x = v (0 on
// the upper lip .. 1 on the lower), y = pixels to the nearer lip (square to
// it), z = pixels below the teeth's edge, w = 1 halfway between the corners
// .. 0 at them.
vec4 mouth_sample(vec2 p) {
  if (u_mouth_points < 2) return vec4(0.5, 1e6, 1e6, 0.0);
  vec2 d = p - u_mouth_origin;
  float s = dot(d, u_mouth_axis), t = dot(d, u_mouth_across);
  vec2 top = chain_y(0, s), bottom = chain_y(1, s);
  float h = bottom.x - top.x;
  float v = h > 1e-3 ? clamp((t - top.x) / h, 0.0, 1.0) : 0.5;
  // Distances across the frame, made square to the lip where it slopes.
  float edge = min((t - top.x) / sqrt(1.0 + top.y * top.y), (bottom.x - t) / sqrt(1.0 + bottom.y * bottom.y));
  float a = clamp(s / u_mouth_upper[u_mouth_points - 1].x, 0.0, 1.0);
  float middle = 4.0 * a * (1.0 - a);
  return vec4(v, edge, t - u_mouth_teeth_depth * middle, middle);
}

// What the source's own opening shows at pixel centre p, as
// MouthOpening::carried: xy = where to sample the source (pixels), z = weight.
vec3 mouth_carried(vec2 p) {
  if (u_mouth_points < 2 || u_source_mouth_points < 2) return vec3(0.0);
  float width = u_mouth_upper[u_mouth_points - 1].x;
  float source_width = u_source_mouth_upper[u_source_mouth_points - 1].x;
  if (!(width > 1e-3) || !(source_width > 1e-3)) return vec3(0.0);
  vec2 d = p - u_mouth_origin;
  float k = source_width / width;
  float s = dot(d, u_mouth_axis) * k;
  float below = max(0.0, dot(d, u_mouth_across) - chain_y(0, dot(d, u_mouth_axis)).x) * k;
  float top = chain_y(2, s).x;
  float h = chain_y(3, s).x - top;
  if (!(h > 1e-3)) return vec3(0.0);
  vec2 q = u_source_mouth_origin + u_source_mouth_axis * s + u_source_mouth_across * (top + below);
  return vec3(q, 1.0 - smoothstep(kMouthCarriedFrom, kMouthCarriedTo, below / h));
}
#endif

float feather_mask(vec2 p) {
  vec2 d = p - u_mask_center;
  float u = (u_mask_rot.x * d.x + u_mask_rot.y * d.y) * u_mask_inv_axes.x;
  float v = (-u_mask_rot.y * d.x + u_mask_rot.x * d.y) * u_mask_inv_axes.y;
  return 1.0 - smoothstep(u_mask_feather.x, u_mask_feather.y, sqrt(u * u + v * v));
}

void main() {
  vec4 c = texture(u_source, v_uv);
  c.rgb = mix(c.rgb, v_tint_color, v_tint);  // v_tint = 0 leaves the texel as it is
#ifdef LP_MOUTH_PASS
  // Teeth under the upper lip, the dark cavity, a hint of tongue towards the
  // lower lip, under what the source's own opening shows (its teeth); at full
  // darkness none of the stretched texture shows but in the last pixel at the
  // lips, which fades (a smooth edge).
  vec4 mouth = mouth_sample(gl_FragCoord.xy - 0.5);  // pixel-centre coordinates
  float v = min(mouth.x, 1.0);
  // No drawn teeth where the source shows its own (they ride with the upper lip).
  float teeth = u_source_mouth_points >= 2 ? 0.0 :
                (1.0 - smoothstep(-kMouthTeethEdgePx, kMouthTeethEdgePx, mouth.z)) *
                smoothstep(kMouthTeethHiddenMiddle, kMouthTeethShownMiddle, mouth.w);
  float lit = kMouthTeethCornerShade + (1.0 - kMouthTeethCornerShade) * mouth.w;
  vec3 cavity = mix(u_mouth_top, u_mouth_bottom, v);
  vec3 shade = mix(cavity, u_mouth_teeth * lit, teeth);
  shade = mix(shade, u_mouth_tongue, kMouthTongueShare * smoothstep(kMouthTongueStart, 1.0, v));
  vec3 carried = mouth_carried(gl_FragCoord.xy - 0.5);
  if (carried.z > 0.0) shade = mix(shade, texture(u_source, (carried.xy + 0.5) / u_size).rgb, carried.z);
  c.rgb = mix(c.rgb, shade, u_mouth_darkness * clamp(mouth.y + 0.5, 0.0, 1.0));
#endif
  frag_color = vec4(c.rgb, c.a * feather_mask(gl_FragCoord.xy - 0.5));  // pixel-centre coordinates
}
