#include "media/video_writer.h"

#include "media/av_util.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <csignal>
#include <atomic>
#include <limits>
#include <mutex>
#include <unistd.h>
#include <vector>

namespace lp {

namespace {

void ignore_sigxfsz() {
  // See the header: without this, exceeding `ulimit -f` kills the process
  // before write() can report EFBIG.
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGXFSZ, SIG_IGN); });
}

std::string write_error_text(int err) {
  if (err == AVERROR(ENOSPC)) return "no space left on the disk (disk full)";
  if (err == AVERROR(EFBIG)) return "the file is too large (a file size limit was reached)";
  if (err == AVERROR(EDQUOT)) return "the disk quota is exceeded";
  if (err == AVERROR(EACCES) || err == AVERROR(EPERM)) return "permission denied";
  if (err == AVERROR(ENOENT)) return "the folder does not exist";
  if (err == AVERROR(EROFS)) return "the disk is read-only";
  return av::error_text(err);
}

}  // namespace

const char* const kVideoFormatsHint =
    "the output name must end in .mp4, .m4v, .mov or .mkv (H.264 video)";

std::string video_container_for(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (ext == ".mp4" || ext == ".m4v") return "mp4";
  if (ext == ".mov") return "mov";
  if (ext == ".mkv") return "matroska";
  return {};
}

cv::Size h264_playable_size(int width, int height) {
  constexpr long kMaxMacroblocks = 36864;  // level 5.1/5.2 MaxFS
  constexpr int kMaxSide = 8192;
  auto fits = [&](int w, int h) {
    const long mbs = static_cast<long>((w + 15) / 16) * ((h + 15) / 16);
    return mbs <= kMaxMacroblocks && w <= kMaxSide && h <= kMaxSide;
  };
  int w = std::max(2, width & ~1), h = std::max(2, height & ~1);
  if (fits(w, h)) return {w, h};
  double s = std::min({std::sqrt(kMaxMacroblocks * 256.0 / (double(w) * h)), double(kMaxSide) / w,
                       double(kMaxSide) / h});
  for (;; s *= 0.998) {  // macroblock rounding: shrink until it fits
    const int nw = std::max(2, static_cast<int>(w * s) & ~1), nh = std::max(2, static_cast<int>(h * s) & ~1);
    if (fits(nw, nh)) return {nw, nh};
  }
}

namespace {

// A frame of another size (the recording's output changed: another portrait,
// paste-back toggled) is scaled to fit, keeping its aspect, centred on black;
// stretching it would squash the face. Aspects within 1 % (the even-size and
// playable-size roundings) are simply scaled.
cv::Mat fit_into(const cv::Mat& bgr, cv::Size out) {
  const double sx = double(out.width) / bgr.cols, sy = double(out.height) / bgr.rows;
  const int interp = std::min(sx, sy) < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR;
  cv::Mat fitted;
  if (std::abs(sx / sy - 1.0) < 0.01) {
    cv::resize(bgr, fitted, out, 0, 0, interp);
    return fitted;
  }
  const double s = std::min(sx, sy);
  const cv::Size inner(std::clamp(int(std::lround(bgr.cols * s)), 1, out.width),
                       std::clamp(int(std::lround(bgr.rows * s)), 1, out.height));
  cv::resize(bgr, fitted, inner, 0, 0, interp);
  cv::Mat canvas(out, CV_8UC3, cv::Scalar::all(0));
  fitted.copyTo(canvas(cv::Rect((out.width - inner.width) / 2, (out.height - inner.height) / 2, inner.width,
                                inner.height)));
  return canvas;
}

}  // namespace

struct VideoWriter::Impl {
  VideoWriterOptions opt;
  std::string path;
  AVFormatContext* oc = nullptr;
  AVCodecContext* enc = nullptr;
  AVStream* vst = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* pkt = nullptr;
  SwsContext* sws = nullptr;
  int width = 0, height = 0;
  bool is_matroska = false;

  // Audio (copy or transcode).
  AVFormatContext* ain = nullptr;
  int ain_stream = -1;
  AVStream* ast = nullptr;
  bool audio_copy = false;
  bool audio_done = true;
  AVPacket* apkt = nullptr;
  bool apkt_pending = false;
  std::int64_t audio_offset = 0;  // in the input audio time base: the input video's start
  AVCodecContext* adec = nullptr;
  AVCodecContext* aenc = nullptr;
  SwrContext* swr = nullptr;
  AVAudioFifo* fifo = nullptr;
  AVFrame* aframe = nullptr;
  std::int64_t decoded_samples = 0;  // at the encoder's rate, after resampling
  std::int64_t encoded_samples = 0;
  std::string audio_note = "none";
  std::string size_note;

  bool header_written = false;

  // A writer that failed before any frame reached the file leaves no file:
  // an empty one would only block a retry under that name ("exists
  // already"). A link the user made (to /dev/full, in the tests) stays.
  void remove_if_no_frames() {
    if (written > 0) return;
    std::error_code ec;
    if (std::filesystem::is_regular_file(std::filesystem::symlink_status(path, ec))) std::filesystem::remove(path, ec);
  }
  bool moov_written = false;  // MP4/MOV: the delayed moov went out (Matroska has none: true)
  bool finished = false;
  std::atomic<bool> failed{false};
  std::string error;
  std::int64_t next_pts = 0;
  std::int64_t last_pts = -1;
  std::int64_t submitted = 0;
  std::int64_t pending = 0;  // video packets in the current, unflushed fragment
  std::int64_t written = 0;  // video packets in flushed fragments
  std::int64_t bytes = 0;
  double fragment_start_s = 0.0;
  mutable std::mutex stats_mutex;  // frames_written/bytes are read from other threads

  ~Impl() {
    if (oc && oc->pb) avio_closep(&oc->pb);
    avformat_free_context(oc);
    avcodec_free_context(&enc);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    sws_freeContext(sws);
    avformat_close_input(&ain);
    av_packet_free(&apkt);
    avcodec_free_context(&adec);
    avcodec_free_context(&aenc);
    swr_free(&swr);
    if (fifo) av_audio_fifo_free(fifo);
    av_frame_free(&aframe);
  }

  bool fail(const std::string& what) {
    if (!failed) {
      failed = true;
      std::lock_guard<std::mutex> lock(stats_mutex);
      error = "'" + path + "': " + what;
    }
    return false;
  }
  bool fail_write(int err) {
    if (written == 0) return fail("writing failed before the first frame was saved: " + write_error_text(err));
    return fail("writing stopped after " + std::to_string(written) + (written == 1 ? " frame: " : " frames: ") +
                write_error_text(err) + "; the part written so far stays playable");
  }
  bool check_pb() {
    if (oc->pb && oc->pb->error < 0) return fail_write(oc->pb->error);
    return true;
  }

  // Cuts the current fragment and pushes it to the kernel.
  bool flush_fragment() {
    if (failed) return false;
    int ret = av_write_frame(oc, nullptr);
    if (ret >= 0 && !moov_written) {
      // delay_moov: the first flush writes only the moov and keeps the
      // fragment's samples; a second one writes them, so that the frames
      // counted as written below really are in the file.
      moov_written = true;
      ret = av_write_frame(oc, nullptr);
    }
    if (ret < 0) return fail_write(ret);
    avio_flush(oc->pb);
    if (!check_pb()) return false;
    std::lock_guard<std::mutex> lock(stats_mutex);
    written += pending;
    pending = 0;
    bytes = avio_tell(oc->pb);
    return true;
  }

  bool write_packet(AVPacket* p) {
    const int ret = av_write_frame(oc, p);
    if (ret < 0) return fail_write(ret);
    return check_pb();
  }

  // ---- audio -------------------------------------------------------------
  bool setup_audio(const std::string& src) {
    int ret = avformat_open_input(&ain, av::file_url(src).c_str(), nullptr, nullptr);
    if (ret < 0 || avformat_find_stream_info(ain, nullptr) < 0) {
      audio_note = "none (cannot open '" + src + "')";
      avformat_close_input(&ain);
      return true;
    }
    ain_stream = av_find_best_stream(ain, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (ain_stream < 0) {
      audio_note = "none ('" + src + "' has no audio)";
      avformat_close_input(&ain);
      return true;
    }
    AVStream* in = ain->streams[ain_stream];
    for (unsigned s = 0; s < ain->nb_streams; ++s)
      if (int(s) != ain_stream) ain->streams[s]->discard = AVDISCARD_ALL;
    // Align with frame 0 of the input's video, the frame our output starts with.
    const int vin = av_find_best_stream(ain, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (vin >= 0 && ain->streams[vin]->start_time != AV_NOPTS_VALUE)
      audio_offset = av_rescale_q(ain->streams[vin]->start_time, ain->streams[vin]->time_base, in->time_base);
    else if (in->start_time != AV_NOPTS_VALUE)
      audio_offset = in->start_time;
    const AVCodecID id = in->codecpar->codec_id;
    apkt = av_packet_alloc();
    // MP4 and MOV could carry Vorbis or Opus too, but browsers and QuickTime
    // would not play them: there only AAC and MP3 are copied. Matroska players
    // play what Matroska carries.
    const bool playable = is_matroska || id == AV_CODEC_ID_AAC || id == AV_CODEC_ID_MP3;
    if (playable && avformat_query_codec(oc->oformat, id, FF_COMPLIANCE_NORMAL) == 1) {
      ast = avformat_new_stream(oc, nullptr);
      avcodec_parameters_copy(ast->codecpar, in->codecpar);
      ast->codecpar->codec_tag = 0;
      ast->time_base = in->time_base;
      audio_copy = true;
      audio_done = false;
      audio_note = std::string("copied ") + avcodec_get_name(id);
      return true;
    }
    // Not muxable (or not playable) in the container: decode and re-encode to AAC.
    const AVCodec* dcodec = avcodec_find_decoder(id);
    const AVCodec* ecodec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!dcodec || !ecodec) {
      audio_note = std::string("none (no decoder for ") + avcodec_get_name(id) + " or no AAC encoder)";
      return true;
    }
    adec = avcodec_alloc_context3(dcodec);
    avcodec_parameters_to_context(adec, in->codecpar);
    adec->pkt_timebase = in->time_base;
    if (avcodec_open2(adec, dcodec, nullptr) < 0) {
      audio_note = std::string("none (cannot decode ") + avcodec_get_name(id) + ")";
      return true;
    }
    aenc = avcodec_alloc_context3(ecodec);
    aenc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    int rate = adec->sample_rate > 0 ? adec->sample_rate : 48000;
    static const int kAacRates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000};
    bool supported = false;
    for (int r : kAacRates) supported |= r == rate;
    if (!supported) rate = 48000;
    aenc->sample_rate = rate;
    if (adec->ch_layout.nb_channels > 0 && adec->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC)
      av_channel_layout_copy(&aenc->ch_layout, &adec->ch_layout);
    else
      av_channel_layout_default(&aenc->ch_layout, std::max(1, adec->ch_layout.nb_channels));
    if (aenc->ch_layout.nb_channels > 2) {
      av_channel_layout_uninit(&aenc->ch_layout);
      av_channel_layout_default(&aenc->ch_layout, 2);
    }
    aenc->bit_rate = 160000;
    aenc->time_base = AVRational{1, rate};
    if (oc->oformat->flags & AVFMT_GLOBALHEADER) aenc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (avcodec_open2(aenc, ecodec, nullptr) < 0) {
      audio_note = "none (cannot open the AAC encoder)";
      avcodec_free_context(&aenc);
      return true;
    }
    AVChannelLayout in_layout{};
    if (adec->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC)
      av_channel_layout_copy(&in_layout, &adec->ch_layout);
    else
      av_channel_layout_default(&in_layout, adec->ch_layout.nb_channels);
    const int sret = swr_alloc_set_opts2(&swr, &aenc->ch_layout, aenc->sample_fmt, aenc->sample_rate, &in_layout,
                                         adec->sample_fmt, adec->sample_rate, 0, nullptr);
    av_channel_layout_uninit(&in_layout);
    if (sret < 0 || swr_init(swr) < 0) {
      audio_note = "none (cannot set up audio resampling)";
      avcodec_free_context(&aenc);
      return true;
    }
    fifo = av_audio_fifo_alloc(aenc->sample_fmt, aenc->ch_layout.nb_channels, 4096);
    aframe = av_frame_alloc();
    ast = avformat_new_stream(oc, nullptr);
    avcodec_parameters_from_context(ast->codecpar, aenc);
    ast->time_base = aenc->time_base;
    audio_copy = false;
    audio_done = false;
    audio_note = std::string("re-encoded ") + avcodec_get_name(id) + " to aac";
    return true;
  }

  // Reads the next audio packet of the input into apkt; false at its end.
  bool next_audio_packet() {
    while (true) {
      const int ret = av_read_frame(ain, apkt);
      if (ret < 0) return false;
      if (apkt->stream_index == ain_stream) return true;
      av_packet_unref(apkt);
    }
  }

  double audio_packet_time(const AVPacket* p) const {
    const std::int64_t ts = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
    return double(ts - audio_offset) * av_q2d(ain->streams[ain_stream]->time_base);
  }

  // Moves audio into the output up to media time `until_s` (seconds from
  // video frame 0): packets starting before it (copy), or samples before it
  // (transcode, where `final` also drains the encoder).
  bool pump_audio(double until_s, bool final) {
    if (audio_done || failed || !ast) return !failed;
    if (audio_copy) {
      while (true) {
        if (!apkt_pending) {
          if (!next_audio_packet()) {
            audio_done = true;
            return true;
          }
          apkt_pending = true;
        }
        if (audio_packet_time(apkt) >= until_s) return true;
        AVRational in_tb = ain->streams[ain_stream]->time_base;
        if (apkt->pts != AV_NOPTS_VALUE) apkt->pts -= audio_offset;
        if (apkt->dts != AV_NOPTS_VALUE) apkt->dts -= audio_offset;
        av_packet_rescale_ts(apkt, in_tb, ast->time_base);
        apkt->stream_index = ast->index;
        apkt->pos = -1;
        apkt_pending = false;
        // Audio before video frame 0 (e.g. AAC priming at a negative time) is
        // left out: the output starts at frame 0, and a negative first
        // timestamp would make the muxer shift every stream.
        const std::int64_t ts = apkt->pts != AV_NOPTS_VALUE ? apkt->pts : apkt->dts;
        if (ts < 0) {
          av_packet_unref(apkt);
          continue;
        }
        const bool ok = write_packet(apkt);
        av_packet_unref(apkt);
        if (!ok) return false;
      }
    }
    // Transcode: decode until enough samples are buffered, encode whole frames.
    const std::int64_t limit = std::llround(until_s * aenc->sample_rate);
    while (decoded_samples < limit + aenc->frame_size && !audio_done) {
      if (!next_audio_packet()) {
        avcodec_send_packet(adec, nullptr);
        audio_done = true;
      } else {
        avcodec_send_packet(adec, apkt);
        av_packet_unref(apkt);
      }
      AVFrame* df = av_frame_alloc();
      while (avcodec_receive_frame(adec, df) == 0) {
        const int max_out = swr_get_out_samples(swr, df->nb_samples);
        std::vector<std::uint8_t*> planes(size_t(aenc->ch_layout.nb_channels), nullptr);
        if (av_samples_alloc(planes.data(), nullptr, aenc->ch_layout.nb_channels, max_out, aenc->sample_fmt, 0) >= 0) {
          const int n = swr_convert(swr, planes.data(), max_out, const_cast<const std::uint8_t**>(df->extended_data),
                                    df->nb_samples);
          if (n > 0) {
            av_audio_fifo_write(fifo, reinterpret_cast<void**>(planes.data()), n);
            decoded_samples += n;
          }
          av_freep(&planes[0]);
        }
        av_frame_unref(df);
      }
      av_frame_free(&df);
    }
    const std::int64_t cap = final ? limit : std::numeric_limits<std::int64_t>::max();
    while (true) {
      const std::int64_t remaining_cap = cap - encoded_samples;
      int n = std::min<std::int64_t>(aenc->frame_size, av_audio_fifo_size(fifo));
      if (remaining_cap < n) n = int(std::max<std::int64_t>(0, remaining_cap));
      if (n <= 0 || (!final && n < aenc->frame_size)) break;
      if (!final && double(encoded_samples + n) / aenc->sample_rate > until_s) break;
      av_frame_unref(aframe);
      aframe->nb_samples = n;
      aframe->format = aenc->sample_fmt;
      aframe->sample_rate = aenc->sample_rate;
      av_channel_layout_copy(&aframe->ch_layout, &aenc->ch_layout);
      if (av_frame_get_buffer(aframe, 0) < 0) return fail("out of memory for audio");
      av_audio_fifo_read(fifo, reinterpret_cast<void**>(aframe->data), n);
      aframe->pts = encoded_samples;
      encoded_samples += n;
      if (avcodec_send_frame(aenc, aframe) < 0) break;
      if (!drain_audio_encoder()) return false;
    }
    if (final) {
      avcodec_send_frame(aenc, nullptr);
      if (!drain_audio_encoder()) return false;
      audio_done = true;
    }
    return true;
  }

  bool drain_audio_encoder() {
    AVPacket* p = av_packet_alloc();
    bool ok = true;
    while (ok && avcodec_receive_packet(aenc, p) == 0) {
      av_packet_rescale_ts(p, aenc->time_base, ast->time_base);
      p->stream_index = ast->index;
      if (p->pts < 0 || p->dts < 0) {  // encoder priming before frame 0: see pump_audio
        av_packet_unref(p);
        continue;
      }
      ok = write_packet(p);
      av_packet_unref(p);
    }
    av_packet_free(&p);
    return ok;
  }

  // ---- video -------------------------------------------------------------
  double video_time(std::int64_t ts_stream) const { return double(ts_stream) * av_q2d(vst->time_base); }

  bool drain_video_encoder() {
    while (true) {
      const int ret = avcodec_receive_packet(enc, pkt);
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return true;
      if (ret < 0) return fail("the H.264 encoder failed: " + av::error_text(ret));
      av_packet_rescale_ts(pkt, enc->time_base, vst->time_base);
      pkt->stream_index = vst->index;
      const double t = video_time(pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts);
      // Fragments start at keyframes where possible, so each is decodable on its own.
      if ((pkt->flags & AV_PKT_FLAG_KEY) && pending > 0 && !flush_fragment()) return false;
      if (pending == 0) fragment_start_s = t;
      const double end_t = t + video_time(pkt->duration > 0 ? pkt->duration : 1);
      if (!pump_audio(end_t, false)) return false;
      const bool ok = write_packet(pkt);
      av_packet_unref(pkt);
      if (!ok) return false;
      {
        std::lock_guard<std::mutex> lock(stats_mutex);
        ++pending;
      }
      if (opt.fragment_seconds <= 0 || end_t - fragment_start_s >= opt.fragment_seconds) {
        if (!flush_fragment()) return false;
      }
    }
  }
};

std::unique_ptr<VideoWriter> VideoWriter::open(const std::string& path, const VideoWriterOptions& options,
                                               std::string* error) {
  av::quiet_logging();
  ignore_sigxfsz();
  auto set = [&](const std::string& why) {
    if (error) *error = "'" + path + "': " + why;
    return nullptr;
  };
  if (options.width < 2 || options.height < 2) return set("invalid output size");
  if (options.fps_num <= 0 || options.fps_den <= 0) return set("invalid frame rate");
  auto d = std::make_unique<Impl>();
  d->opt = options;
  d->path = path;
  const cv::Size size = h264_playable_size(options.width, options.height);
  d->width = size.width;
  d->height = size.height;
  if (d->width < (options.width & ~1) || d->height < (options.height & ~1))
    d->size_note = "frames scaled from " + std::to_string(options.width) + "x" + std::to_string(options.height) +
                   " to " + std::to_string(d->width) + "x" + std::to_string(d->height) +
                   ": larger H.264 frames do not play on phones or in most players (level 5.1, 9.4 megapixels)";
  const std::string container = video_container_for(path);
  if (container.empty()) return set(std::string("unsupported video format: ") + kVideoFormatsHint);
  d->is_matroska = container == "matroska";
  d->moov_written = d->is_matroska;
  int ret = avformat_alloc_output_context2(&d->oc, nullptr, container.c_str(), path.c_str());
  if (ret < 0 || !d->oc) return set("cannot set up the " + container + " muxer: " + av::error_text(ret));

  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (!codec) return set("FFmpeg was built without libx264 (H.264 encoder)");
  d->enc = avcodec_alloc_context3(codec);
  AVCodecContext* enc = d->enc;
  enc->width = d->width;
  enc->height = d->height;
  enc->pix_fmt = AV_PIX_FMT_YUV420P;
  enc->time_base = AVRational{options.fps_den, options.fps_num};
  enc->framerate = AVRational{options.fps_num, options.fps_den};
  const double fps = double(options.fps_num) / options.fps_den;
  enc->gop_size = std::max(1, int(std::lround(fps * std::max(0.0, options.keyframe_interval_s))));
  enc->thread_count = std::max(1, options.threads);
  enc->color_range = AVCOL_RANGE_MPEG;
  enc->colorspace = AVCOL_SPC_SMPTE170M;  // sws converts with BT.601 coefficients
  enc->color_primaries = AVCOL_PRI_SMPTE170M;
  enc->color_trc = AVCOL_TRC_SMPTE170M;
  if (d->oc->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary* eopts = nullptr;
  av_dict_set(&eopts, "preset", options.preset.c_str(), 0);
  av_dict_set(&eopts, "crf", std::to_string(std::clamp(options.crf, 0, 51)).c_str(), 0);
  if (options.low_latency) av_dict_set(&eopts, "tune", "zerolatency", 0);
  ret = avcodec_open2(enc, codec, &eopts);
  av_dict_free(&eopts);
  if (ret < 0) return set("cannot open the H.264 encoder: " + av::error_text(ret));
  d->vst = avformat_new_stream(d->oc, nullptr);
  d->vst->time_base = enc->time_base;
  d->vst->avg_frame_rate = enc->framerate;
  avcodec_parameters_from_context(d->vst->codecpar, enc);

  if (!options.audio_source.empty()) d->setup_audio(options.audio_source);

  ret = avio_open(&d->oc->pb, av::file_url(path).c_str(), AVIO_FLAG_WRITE);
  if (ret < 0) {
    // ENOENT in a folder that is there: one that takes no new files (/proc).
    std::error_code ec;
    const std::filesystem::path folder = std::filesystem::absolute(path, ec).parent_path();
    if (ret == AVERROR(ENOENT) && std::filesystem::is_directory(folder, ec))
      return set("cannot create the file: the folder '" + folder.string() + "' does not take new files");
    return set("cannot create the file: " + write_error_text(ret));
  }
  const auto fail_and_remove = [&](const std::string& why) {
    avio_closep(&d->oc->pb);
    d->remove_if_no_frames();
    return set(why);
  };
  AVDictionary* mopts = nullptr;
  if (!d->is_matroska) {
    // empty_moov: the header carries no sample tables, so the file never needs
    // a final rewrite; frag_custom: we cut the fragments ourselves (see
    // header); delay_moov: the moov is written with the first fragment, when
    // every stream's first timestamp is known, so it gets edit lists: video
    // starts at 0 despite x264's B-frame delay, and audio that starts after
    // the video keeps its offset.
    av_dict_set(&mopts, "movflags", "empty_moov+default_base_moof+frag_custom+delay_moov", 0);
  }
  ret = avformat_write_header(d->oc, &mopts);
  av_dict_free(&mopts);
  if (ret < 0) return fail_and_remove("cannot write the file header: " + write_error_text(ret));
  d->header_written = true;
  avio_flush(d->oc->pb);
  if (d->oc->pb->error < 0)
    return fail_and_remove("cannot write the file header: " + write_error_text(d->oc->pb->error));
  d->bytes = avio_tell(d->oc->pb);

  d->frame = av_frame_alloc();
  d->frame->format = enc->pix_fmt;
  d->frame->width = enc->width;
  d->frame->height = enc->height;
  if (av_frame_get_buffer(d->frame, 0) < 0) return fail_and_remove("out of memory");
  d->pkt = av_packet_alloc();
  return std::unique_ptr<VideoWriter>(new VideoWriter(std::move(d)));
}

VideoWriter::VideoWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VideoWriter::~VideoWriter() { finish(); }

bool VideoWriter::write(const cv::Mat& bgr) { return write(bgr, impl_->next_pts); }

bool VideoWriter::write(const cv::Mat& bgr_in, std::int64_t pts) {
  Impl& d = *impl_;
  if (d.failed || d.finished) return false;
  if (bgr_in.empty() || bgr_in.type() != CV_8UC3) return d.fail("a frame is not an 8-bit BGR image");
  if (pts <= d.last_pts) pts = d.last_pts + 1;
  cv::Mat bgr = bgr_in;
  if (bgr.cols != d.width || bgr.rows != d.height) bgr = fit_into(bgr_in, cv::Size(d.width, d.height));
  if (!bgr.isContinuous()) bgr = bgr.clone();
  if (av_frame_make_writable(d.frame) < 0) return d.fail("out of memory");
  d.sws = sws_getCachedContext(d.sws, d.width, d.height, AV_PIX_FMT_BGR24, d.width, d.height, AV_PIX_FMT_YUV420P,
                               SWS_BILINEAR, nullptr, nullptr, nullptr);
  if (!d.sws) return d.fail("cannot set up colour conversion");
  const std::uint8_t* src[4] = {bgr.data, nullptr, nullptr, nullptr};
  const int src_stride[4] = {int(bgr.step[0]), 0, 0, 0};
  sws_scale(d.sws, src, src_stride, 0, d.height, d.frame->data, d.frame->linesize);
  d.frame->pts = pts;
  const int ret = avcodec_send_frame(d.enc, d.frame);
  if (ret < 0) return d.fail("the H.264 encoder rejected a frame: " + av::error_text(ret));
  d.last_pts = pts;
  d.next_pts = pts + 1;
  ++d.submitted;
  return d.drain_video_encoder();
}

bool VideoWriter::finish() {
  Impl& d = *impl_;
  if (d.finished) return !d.failed;
  d.finished = true;
  if (!d.failed) {
    avcodec_send_frame(d.enc, nullptr);
    d.drain_video_encoder();
  }
  if (!d.failed) {
    const double end_s = double(d.last_pts + 1) * d.opt.fps_den / d.opt.fps_num;
    d.pump_audio(end_s, true);
  }
  if (!d.failed) d.flush_fragment();
  if (!d.failed && d.header_written) {
    const int ret = av_write_trailer(d.oc);
    if (ret < 0) d.fail_write(ret);
    else d.check_pb();
  }
  if (d.oc && d.oc->pb) {
    avio_flush(d.oc->pb);
    if (!d.failed) {
      std::lock_guard<std::mutex> lock(d.stats_mutex);
      d.bytes = avio_tell(d.oc->pb);
    }
    avio_closep(&d.oc->pb);
  }
  if (d.failed) d.remove_if_no_frames();
  if (d.failed && d.written > 0 && d.bytes > 0) {
    // A failed write can leave half a fragment at the end; cut the file back
    // to the last complete fragment so every player reads it cleanly.
    if (::truncate(d.path.c_str(), d.bytes) != 0) { /* the part stays readable by tolerant players */ }
  }
  return !d.failed;
}

bool VideoWriter::failed() const { return impl_->failed; }
std::string VideoWriter::error() const {
  std::lock_guard<std::mutex> lock(impl_->stats_mutex);
  return impl_->error;
}
std::int64_t VideoWriter::frames_submitted() const { return impl_->submitted; }
std::int64_t VideoWriter::frames_written() const {
  std::lock_guard<std::mutex> lock(impl_->stats_mutex);
  return impl_->written;
}
std::int64_t VideoWriter::bytes_written() const {
  std::lock_guard<std::mutex> lock(impl_->stats_mutex);
  return impl_->bytes;
}
std::string VideoWriter::path() const { return impl_->path; }
std::string VideoWriter::audio_note() const { return impl_->audio_note; }
std::string VideoWriter::size_note() const { return impl_->size_note; }
const VideoWriterOptions& VideoWriter::options() const { return impl_->opt; }

}  // namespace lp
