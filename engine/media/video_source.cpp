#include "media/video_source.h"

#include "media/av_util.h"
#include "media/image_loader.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

#include <cerrno>
#include <cmath>
#include <cstring>
#include <opencv2/core.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lp {

struct VideoSource::Impl {
  VideoInfo info;
  AVFormatContext* fmt = nullptr;
  AVCodecContext* dec = nullptr;
  AVPacket* pkt = nullptr;
  AVFrame* frame = nullptr;
  SwsContext* sws = nullptr;
  int stream = -1;
  AVRational tb{1, 1};
  AVRational frame_rate{0, 1};
  std::int64_t start_pts = 0;
  std::int64_t file_size = 0;
  bool index_beyond_eof = false;  // the container's index points past the end: cut file

  bool loop = false;
  bool input_done = false;      // av_read_frame returned EOF or an error; decoder is draining
  int read_error = 0;           // a non-EOF av_read_frame error (truncation, I/O)
  std::string read_error_detail;
  bool failed = false;          // stopped with an error (sticky until seek)
  std::string error;
  std::int64_t next_index = 0;  // index of the frame the next read() returns
  std::int64_t skip_until = -1; // after a seek: drop frames before this index
  std::int64_t delivered_since_rewind = 0;
  bool delivered_any = false;  // a frame came out since open(): an empty track is an error, not an end
  // How frames are shown, as players show them: the display width of
  // anamorphic video (non-square pixels) and the rotation of the stream's
  // display matrix (phones record sideways and store the turn there).
  int coded_width = 0;          // the stream header's frame width
  int display_width = 0;        // before rotation; 0: square pixels
  int rotation_cw = 0;          // 0, 90, 180 or 270 degrees clockwise

  ~Impl() {
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
  }

  std::int64_t index_of(std::int64_t pts) const {
    if (pts == AV_NOPTS_VALUE) return next_index;
    const double t = double(pts - start_pts) * av_q2d(tb);
    return std::llround(t * info.fps);
  }

  ReadStatus fail(const std::string& why) {
    failed = true;
    error = "'" + info.path + "': decoding stopped at frame " + std::to_string(next_index) +
            (info.frame_count > 0 ? " of " + std::to_string(info.frame_count) : std::string()) + ": " + why;
    return ReadStatus::Error;
  }

  // Is this packet shorter than the container's index says it should be (the
  // file was cut inside it)? FFmpeg hands such a partial packet over without
  // complaint; decoding it would give a half-grey frame.
  bool is_partial(const AVPacket* p) const {
    if (p->flags & AV_PKT_FLAG_CORRUPT) return true;
    const AVStream* st = fmt->streams[stream];
    const AVIndexEntry* e = avformat_index_get_entry_from_timestamp(const_cast<AVStream*>(st), p->dts, AVSEEK_FLAG_ANY);
    if (e && e->timestamp == p->dts && e->size > 0 && p->size < e->size) return true;
    if (p->pos >= 0 && file_size > 0 && p->pos + p->size > file_size) return true;
    return false;
  }

  bool convert(VideoFrame& out) {
    const int w = frame->width, h = frame->height;
    // The display width follows the stream's pixel aspect; a frame of another
    // size than the stream's header (a resolution change) keeps its own.
    const int dw = (w == coded_width && display_width > 0) ? display_width : w;
    sws = sws_getCachedContext(sws, w, h, AVPixelFormat(frame->format), dw, h, AV_PIX_FMT_BGR24,
                               SWS_BILINEAR | SWS_ACCURATE_RND, nullptr, nullptr, nullptr);
    if (!sws) return false;
    const int cs = frame->colorspace == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : int(frame->colorspace);
    const int* coeffs = sws_getCoefficients(cs);
    const int src_full = frame->color_range == AVCOL_RANGE_JPEG ? 1 : 0;
    sws_setColorspaceDetails(sws, coeffs, src_full, sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
    cv::Mat bgr(h, dw, CV_8UC3);  // a fresh buffer: never shared with a previous frame
    std::uint8_t* dst[4] = {bgr.data, nullptr, nullptr, nullptr};
    int dst_stride[4] = {int(bgr.step[0]), 0, 0, 0};
    sws_scale(sws, frame->data, frame->linesize, 0, h, dst, dst_stride);
    if (rotation_cw == 0) {
      out.image = bgr;
      return true;
    }
    cv::Mat turned;  // fresh too: rotating into out.image would reuse the caller's previous buffer
    cv::rotate(bgr, turned, rotation_cw == 90    ? cv::ROTATE_90_CLOCKWISE
                            : rotation_cw == 180 ? cv::ROTATE_180
                                                 : cv::ROTATE_90_COUNTERCLOCKWISE);
    out.image = turned;
    return true;
  }

  void rewind_to(std::int64_t index) {
    if (info.frame_count > 0) index = std::min(index, info.frame_count - 1);
    index = std::max<std::int64_t>(index, 0);
    const std::int64_t ts = start_pts + av_rescale_q(index, av_inv_q(frame_rate), tb);
    av_seek_frame(fmt, stream, ts, AVSEEK_FLAG_BACKWARD);
    avcodec_flush_buffers(dec);
    input_done = false;
    read_error = 0;
    read_error_detail.clear();
    failed = false;
    error.clear();
    skip_until = index;
    next_index = index;
  }
};

std::unique_ptr<VideoSource> VideoSource::open(const std::string& path, std::string* error) {
  av::quiet_logging();
  auto set = [&](const std::string& why) {
    if (error) *error = "'" + path + "': " + why;
    return nullptr;
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return set(errno == ENOENT ? "no such file" : std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return set("not a regular file");
  if (st.st_size == 0) return set("the file is empty (0 bytes)");
  {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return set(errno == EACCES ? "permission denied (cannot read the file)" : std::strerror(errno));
    ::close(fd);
  }
  std::string why_not;
  const MediaKind kind = sniff_media(path, &why_not);
  if (kind == MediaKind::Image) return set("this is an image, not a video");

  auto impl = std::make_unique<Impl>();
  impl->info.path = path;
  impl->file_size = st.st_size;
  int ret = avformat_open_input(&impl->fmt, av::file_url(path).c_str(), nullptr, nullptr);
  if (ret < 0) {
    // An MP4/MOV whose index sits at the end loses it when the file is cut.
    char head[12] = {0};
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      if (::read(fd, head, sizeof head) < 0) head[0] = 0;
      ::close(fd);
    }
    if (std::memcmp(head + 4, "ftyp", 4) == 0)
      return set("the MP4/MOV index (moov atom) is missing or damaged: the file is truncated or was never finished (" +
                 av::error_text(ret) + ")");
    return set("not a video FFmpeg can read (" + av::error_text(ret) + ")");
  }
  if (kind != MediaKind::Video) return set("not a video (" + why_not + ")");
  ret = avformat_find_stream_info(impl->fmt, nullptr);
  if (ret < 0) return set("cannot read the stream information (" + av::error_text(ret) + ")");
  const AVCodec* codec = nullptr;
  ret = av_find_best_stream(impl->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (ret < 0 || !codec)
    return set(ret == AVERROR_DECODER_NOT_FOUND ? "no decoder for its video codec" : "the file has no video stream");
  impl->stream = ret;
  AVStream* vs = impl->fmt->streams[ret];
  impl->tb = vs->time_base;
  impl->start_pts = vs->start_time == AV_NOPTS_VALUE ? 0 : vs->start_time;
  impl->dec = avcodec_alloc_context3(codec);
  avcodec_parameters_to_context(impl->dec, vs->codecpar);
  impl->dec->thread_count = 2;  // the machine is shared; decoding 512² needs little
  impl->dec->pkt_timebase = vs->time_base;
  ret = avcodec_open2(impl->dec, codec, nullptr);
  if (ret < 0) return set("cannot open the " + std::string(codec->name) + " decoder (" + av::error_text(ret) + ")");
  impl->pkt = av_packet_alloc();
  impl->frame = av_frame_alloc();

  impl->frame_rate = av_guess_frame_rate(impl->fmt, vs, nullptr);
  if (impl->frame_rate.num <= 0 || impl->frame_rate.den <= 0) impl->frame_rate = AVRational{25, 1};
  VideoInfo& info = impl->info;
  info.width = vs->codecpar->width;
  info.height = vs->codecpar->height;
  info.fps_num = impl->frame_rate.num;
  info.fps_den = impl->frame_rate.den;
  info.fps = av_q2d(impl->frame_rate);
  info.video_codec = codec->name;
  if (vs->duration != AV_NOPTS_VALUE && vs->duration > 0)
    info.duration_s = double(vs->duration) * av_q2d(vs->time_base);
  else if (impl->fmt->duration != AV_NOPTS_VALUE)
    info.duration_s = double(impl->fmt->duration) / AV_TIME_BASE;
  info.frame_count = vs->nb_frames > 0 ? vs->nb_frames : std::llround(info.duration_s * info.fps);
  const int audio = av_find_best_stream(impl->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (audio >= 0) {
    info.has_audio = true;
    info.audio_codec = avcodec_get_name(impl->fmt->streams[audio]->codecpar->codec_id);
  }
  if (info.width <= 0 || info.height <= 0) return set("the video stream has no valid frame size");
  impl->coded_width = info.width;
  const AVRational sar = av_guess_sample_aspect_ratio(impl->fmt, vs, nullptr);
  if (sar.num > 0 && sar.den > 0 && sar.num != sar.den) {
    // Anamorphic: stretch to the display aspect (even width, as encoders want).
    const double dw = info.width * av_q2d(sar);
    impl->display_width = std::max(2, int(std::lround(dw / 2.0)) * 2);
    if (impl->display_width > 4 * info.width) impl->display_width = 0;  // implausible: ignore
    if (impl->display_width > 0) info.width = impl->display_width;
  }
  size_t matrix_size = 0;
  const std::uint8_t* matrix = av_stream_get_side_data(vs, AV_PKT_DATA_DISPLAYMATRIX, &matrix_size);
  if (matrix && matrix_size >= 9 * sizeof(std::int32_t)) {
    // av_display_rotation_get() gives the counter-clockwise turn the display
    // applies; snap it to quarter turns (other angles are not used in practice).
    const double ccw = av_display_rotation_get(reinterpret_cast<const std::int32_t*>(matrix));
    if (std::isfinite(ccw)) {
      const int quarter = int(std::lround(-ccw / 90.0));
      impl->rotation_cw = ((quarter % 4) + 4) % 4 * 90;
    }
  }
  if (impl->rotation_cw == 90 || impl->rotation_cw == 270) std::swap(info.width, info.height);
  info.rotation_cw = impl->rotation_cw;
  for (int i = 0, n = avformat_index_get_entries_count(vs); i < n; ++i) {
    const AVIndexEntry* e = avformat_index_get_entry(vs, i);
    if (e && e->pos + e->size > impl->file_size) {
      impl->index_beyond_eof = true;
      break;
    }
  }
  // Only the video stream is read; skip demuxing the rest.
  for (unsigned s = 0; s < impl->fmt->nb_streams; ++s)
    if (int(s) != impl->stream) impl->fmt->streams[s]->discard = AVDISCARD_ALL;
  return std::unique_ptr<VideoSource>(new VideoSource(std::move(impl)));
}

VideoSource::VideoSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VideoSource::~VideoSource() = default;

const VideoInfo& VideoSource::info() const { return impl_->info; }
void VideoSource::set_loop(bool loop) { impl_->loop = loop; }
bool VideoSource::loop() const { return impl_->loop; }
std::int64_t VideoSource::position() const { return impl_->next_index; }
const std::string& VideoSource::error() const { return impl_->error; }

bool VideoSource::seek(std::int64_t index) {
  impl_->rewind_to(index);
  return true;
}

ReadStatus VideoSource::read(VideoFrame& out) {
  Impl& d = *impl_;
  if (d.failed) return ReadStatus::Error;
  while (true) {
    int ret = avcodec_receive_frame(d.dec, d.frame);
    if (ret == 0) {
      const std::int64_t idx = d.index_of(d.frame->best_effort_timestamp);
      if ((d.frame->flags & AV_FRAME_FLAG_CORRUPT) || d.frame->decode_error_flags) {
        av_frame_unref(d.frame);
        return d.fail("the frame data is damaged (the file is corrupt)");
      }
      if (d.read_error && d.skip_until < 0 && idx > d.next_index) {
        // Draining after a cut: this frame was decoded ahead of B-frames that
        // are lost, so delivering it would skip frames. Stop at the gap.
        av_frame_unref(d.frame);
        return d.fail(d.read_error_detail);
      }
      if (d.skip_until >= 0 && idx < d.skip_until) {
        av_frame_unref(d.frame);
        continue;
      }
      d.skip_until = -1;
      const double t = d.frame->best_effort_timestamp == AV_NOPTS_VALUE
                           ? double(d.next_index) / d.info.fps
                           : double(d.frame->best_effort_timestamp - d.start_pts) * av_q2d(d.tb);
      const bool ok = d.convert(out);
      av_frame_unref(d.frame);
      if (!ok) return d.fail("cannot convert the frame to BGR");
      out.index = idx;
      out.time_s = t;
      d.next_index = idx + 1;
      ++d.delivered_since_rewind;
      d.delivered_any = true;
      return ReadStatus::Frame;
    }
    if (ret == AVERROR_EOF) {
      if (d.read_error) return d.fail(d.read_error_detail);
      if (d.index_beyond_eof && d.next_index < d.info.frame_count)
        return d.fail("the file ends early (truncated file)");
      if (!d.delivered_any) return d.fail("the video track has no frame that can be decoded");
      if (d.loop && d.delivered_since_rewind > 0) {
        d.rewind_to(0);
        d.delivered_since_rewind = 0;
        continue;
      }
      return ReadStatus::End;
    }
    if (ret != AVERROR(EAGAIN)) return d.fail("decoder error: " + av::error_text(ret));
    // The decoder wants input.
    if (d.input_done) return d.fail("decoder stalled");
    ret = av_read_frame(d.fmt, d.pkt);
    if (ret < 0) {
      if (ret != AVERROR_EOF) {
        d.read_error = ret;
        d.read_error_detail = ret == AVERROR_INVALIDDATA
                                  ? "the file ends early or its data is damaged (truncated file)"
                                  : "read error: " + av::error_text(ret);
      }
      d.input_done = true;
      avcodec_send_packet(d.dec, nullptr);  // drain the frames already received intact
      continue;
    }
    if (d.pkt->stream_index != d.stream) {
      av_packet_unref(d.pkt);
      continue;
    }
    if (d.is_partial(d.pkt)) {
      av_packet_unref(d.pkt);
      d.read_error = AVERROR_INVALIDDATA;
      d.read_error_detail = "the file ends in the middle of a frame (truncated file)";
      d.input_done = true;
      avcodec_send_packet(d.dec, nullptr);
      continue;
    }
    ret = avcodec_send_packet(d.dec, d.pkt);
    av_packet_unref(d.pkt);
    if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_INVALIDDATA)
      return d.fail("decoder error: " + av::error_text(ret));
    if (ret == AVERROR_INVALIDDATA) {
      d.read_error = ret;
      d.read_error_detail = "the video data is damaged (corrupt file)";
      d.input_done = true;
      avcodec_send_packet(d.dec, nullptr);
    }
  }
}

}  // namespace lp
