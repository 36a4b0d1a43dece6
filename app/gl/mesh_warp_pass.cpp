#include "gl/mesh_warp_pass.h"

#include "classic/still_background.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace lp::gl {

namespace {

// Saves and restores the GL state the pass touches, so the UI's state
// survives a render() call.
struct StateGuard {
  GLint fbo = 0, read_fbo = 0, viewport[4] = {0, 0, 0, 0}, scissor_box[4] = {0, 0, 0, 0}, program = 0, vao = 0,
        texture = 0, active = 0, sampler = 0;
  GLint blend_src_rgb = 0, blend_dst_rgb = 0, blend_src_alpha = 0, blend_dst_alpha = 0, blend_eq_rgb = 0, blend_eq_alpha = 0;
  GLboolean blend, depth, cull, scissor;
  StateGuard() {
    glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &fbo);
    glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &read_fbo);
    glGetIntegerv(GL_BLEND_SRC_RGB, &blend_src_rgb);
    glGetIntegerv(GL_BLEND_DST_RGB, &blend_dst_rgb);
    glGetIntegerv(GL_BLEND_SRC_ALPHA, &blend_src_alpha);
    glGetIntegerv(GL_BLEND_DST_ALPHA, &blend_dst_alpha);
    glGetIntegerv(GL_BLEND_EQUATION_RGB, &blend_eq_rgb);
    glGetIntegerv(GL_BLEND_EQUATION_ALPHA, &blend_eq_alpha);
    glGetIntegerv(GL_VIEWPORT, viewport);
    glGetIntegerv(GL_SCISSOR_BOX, scissor_box);
    glGetIntegerv(GL_CURRENT_PROGRAM, &program);
    glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &vao);
    glGetIntegerv(GL_ACTIVE_TEXTURE, &active);
    glActiveTexture(GL_TEXTURE0);
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &texture);
    glGetIntegerv(GL_SAMPLER_BINDING, &sampler);
    blend = glIsEnabled(GL_BLEND);
    depth = glIsEnabled(GL_DEPTH_TEST);
    cull = glIsEnabled(GL_CULL_FACE);
    scissor = glIsEnabled(GL_SCISSOR_TEST);
  }
  ~StateGuard() {
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, static_cast<GLuint>(fbo));
    glBindFramebuffer(GL_READ_FRAMEBUFFER, static_cast<GLuint>(read_fbo));
    glBlendFuncSeparate(static_cast<GLenum>(blend_src_rgb), static_cast<GLenum>(blend_dst_rgb),
                        static_cast<GLenum>(blend_src_alpha), static_cast<GLenum>(blend_dst_alpha));
    glBlendEquationSeparate(static_cast<GLenum>(blend_eq_rgb), static_cast<GLenum>(blend_eq_alpha));
    glViewport(viewport[0], viewport[1], viewport[2], viewport[3]);
    glUseProgram(static_cast<GLuint>(program));
    glBindVertexArray(static_cast<GLuint>(vao));
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(texture));
    glBindSampler(0, static_cast<GLuint>(sampler));
    glActiveTexture(static_cast<GLenum>(active));
    auto set = [](GLenum cap, GLboolean on) { on ? glEnable(cap) : glDisable(cap); };
    set(GL_BLEND, blend);
    set(GL_DEPTH_TEST, depth);
    set(GL_CULL_FACE, cull);
    set(GL_SCISSOR_TEST, scissor);
    glScissor(scissor_box[0], scissor_box[1], scissor_box[2], scissor_box[3]);
  }
};

constexpr int kFloatsPerVertex = 8;  // position.xy, texcoord.xy, tint, tint colour.rgb

}  // namespace

MeshWarpPass::~MeshWarpPass() { release(); }

void MeshWarpPass::release() {
  person_.reset();
  plate_.reset();
  layers_of_.reset();
  if (fbo_) glDeleteFramebuffers(1, &fbo_);
  if (backdrop_fbo_) glDeleteFramebuffers(1, &backdrop_fbo_);
  if (color_) glDeleteTextures(1, &color_);
  if (vbo_) glDeleteBuffers(1, &vbo_);
  if (ebo_) glDeleteBuffers(1, &ebo_);
  if (vao_) glDeleteVertexArrays(1, &vao_);
  if (sampler_) glDeleteSamplers(1, &sampler_);
  fbo_ = color_ = vbo_ = ebo_ = vao_ = sampler_ = backdrop_fbo_ = 0;
  width_ = height_ = 0;
  skin_ = Program();
  mouth_ = Program();
}

bool MeshWarpPass::Program::load(const std::vector<std::string>& defines, std::string& error) {
  if (!program.load("mesh_warp.vert", "mesh_warp.frag", defines)) {
    error = program.error();
    return false;
  }
  const GLuint p = program.id();
  size = glGetUniformLocation(p, "u_size");
  source = glGetUniformLocation(p, "u_source");
  mask_center = glGetUniformLocation(p, "u_mask_center");
  mask_inv_axes = glGetUniformLocation(p, "u_mask_inv_axes");
  mask_rot = glGetUniformLocation(p, "u_mask_rot");
  mask_feather = glGetUniformLocation(p, "u_mask_feather");
  mouth_darkness = glGetUniformLocation(p, "u_mouth_darkness");  // -1 in the skin variant (glUniform ignores it)
  mouth_top = glGetUniformLocation(p, "u_mouth_top");
  mouth_bottom = glGetUniformLocation(p, "u_mouth_bottom");
  mouth_teeth = glGetUniformLocation(p, "u_mouth_teeth");
  mouth_tongue = glGetUniformLocation(p, "u_mouth_tongue");
  mouth_origin = glGetUniformLocation(p, "u_mouth_origin");
  mouth_axis = glGetUniformLocation(p, "u_mouth_axis");
  mouth_across = glGetUniformLocation(p, "u_mouth_across");
  mouth_upper = glGetUniformLocation(p, "u_mouth_upper");
  mouth_lower = glGetUniformLocation(p, "u_mouth_lower");
  mouth_points = glGetUniformLocation(p, "u_mouth_points");
  mouth_teeth_depth = glGetUniformLocation(p, "u_mouth_teeth_depth");
  source_mouth_origin = glGetUniformLocation(p, "u_source_mouth_origin");
  source_mouth_axis = glGetUniformLocation(p, "u_source_mouth_axis");
  source_mouth_across = glGetUniformLocation(p, "u_source_mouth_across");
  source_mouth_upper = glGetUniformLocation(p, "u_source_mouth_upper");
  source_mouth_lower = glGetUniformLocation(p, "u_source_mouth_lower");
  source_mouth_points = glGetUniformLocation(p, "u_source_mouth_points");
  return true;
}

void MeshWarpPass::Program::set_uniforms(const WarpMesh& mesh, int width, int height) const {
  program.use();
  const FeatherMask& fm = mesh.mask;
  auto rgb = [](const cv::Vec3f& bgr) { return cv::Vec3f(bgr[2] / 255.f, bgr[1] / 255.f, bgr[0] / 255.f); };
  const cv::Vec3f top = rgb(mesh.mouth_top_bgr), bottom = rgb(mesh.mouth_bottom_bgr);
  const cv::Vec3f teeth = rgb(mesh.mouth_teeth_bgr), tongue = rgb(mesh.mouth_tongue_bgr);
  glUniform2f(size, static_cast<float>(width), static_cast<float>(height));
  glUniform1i(source, 0);
  glUniform2f(mask_center, fm.center.x, fm.center.y);
  glUniform2f(mask_inv_axes, 1.f / fm.semi_axes.x, 1.f / fm.semi_axes.y);
  glUniform2f(mask_rot, std::cos(fm.angle), std::sin(fm.angle));
  glUniform2f(mask_feather, fm.inner, fm.outer);
  glUniform1f(mouth_darkness, mesh.mouth_darkness);
  glUniform3f(mouth_top, top[0], top[1], top[2]);
  glUniform3f(mouth_bottom, bottom[0], bottom[1], bottom[2]);
  glUniform3f(mouth_teeth, teeth[0], teeth[1], teeth[2]);
  glUniform3f(mouth_tongue, tongue[0], tongue[1], tongue[2]);
  glUniform1f(mouth_teeth_depth, mesh.mouth_opening.teeth_depth);
  auto set_opening = [](const MouthOpening& mo, GLint origin, GLint axis, GLint across, GLint upper, GLint lower,
                        GLint count) {
    const int points = mo.empty() ? 0 : static_cast<int>(std::min<size_t>(mo.upper.size(), MouthOpening::kMaxPoints));
    glUniform2f(origin, mo.origin.x, mo.origin.y);
    glUniform2f(axis, mo.axis.x, mo.axis.y);
    glUniform2f(across, mo.across.x, mo.across.y);
    glUniform1i(count, points);
    if (points > 0) {  // cv::Point2f is two packed floats
      glUniform2fv(upper, points, &mo.upper[0].x);
      glUniform2fv(lower, points, &mo.lower[0].x);
    }
  };
  set_opening(mesh.mouth_opening, mouth_origin, mouth_axis, mouth_across, mouth_upper, mouth_lower, mouth_points);
  set_opening(mesh.source_mouth, source_mouth_origin, source_mouth_axis, source_mouth_across, source_mouth_upper,
              source_mouth_lower, source_mouth_points);
}

bool MeshWarpPass::init() {
  release();
  error_.clear();
  if (!skin_.load({}, error_) || !mouth_.load({"LP_MOUTH_PASS 1"}, error_)) {
    release();
    return false;
  }

  GLint vao_before = 0;
  glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &vao_before);
  glGenVertexArrays(1, &vao_);
  glGenBuffers(1, &vbo_);
  glGenBuffers(1, &ebo_);
  glBindVertexArray(vao_);
  glBindBuffer(GL_ARRAY_BUFFER, vbo_);
  glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, ebo_);  // recorded in the VAO
  const GLsizei stride = kFloatsPerVertex * sizeof(float);
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, stride, reinterpret_cast<const void*>(0));
  glEnableVertexAttribArray(1);
  glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, stride, reinterpret_cast<const void*>(2 * sizeof(float)));
  glEnableVertexAttribArray(2);
  glVertexAttribPointer(2, 1, GL_FLOAT, GL_FALSE, stride, reinterpret_cast<const void*>(4 * sizeof(float)));
  glEnableVertexAttribArray(3);
  glVertexAttribPointer(3, 3, GL_FLOAT, GL_FALSE, stride, reinterpret_cast<const void*>(5 * sizeof(float)));
  glBindVertexArray(static_cast<GLuint>(vao_before));
  glBindBuffer(GL_ARRAY_BUFFER, 0);

  // Our own sampler: the caller's texture parameters are left alone.
  glGenSamplers(1, &sampler_);
  glSamplerParameteri(sampler_, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glSamplerParameteri(sampler_, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glSamplerParameteri(sampler_, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glSamplerParameteri(sampler_, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);

  if (const GLenum err = glGetError(); err != GL_NO_ERROR) {
    error_ = "mesh warp pass: GL error " + std::to_string(err) + " while creating buffers";
    release();
    return false;
  }
  return true;
}

bool MeshWarpPass::ensure_target(int width, int height) {
  if (fbo_ && width == width_ && height == height_) return true;
  GLint tex_before = 0, fbo_before = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &tex_before);
  glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &fbo_before);
  if (!color_) glGenTextures(1, &color_);
  glBindTexture(GL_TEXTURE_2D, color_);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  if (!fbo_) glGenFramebuffers(1, &fbo_);
  if (!backdrop_fbo_) glGenFramebuffers(1, &backdrop_fbo_);
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, fbo_);
  glFramebufferTexture2D(GL_DRAW_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, color_, 0);
  const GLenum status = glCheckFramebufferStatus(GL_DRAW_FRAMEBUFFER);
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, static_cast<GLuint>(fbo_before));
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(tex_before));
  if (status != GL_FRAMEBUFFER_COMPLETE) {
    error_ = "mesh warp pass: framebuffer " + std::to_string(width) + "x" + std::to_string(height) +
             " incomplete (status " + std::to_string(status) + ")";
    return false;
  }
  width_ = width;
  height_ = height;
  return true;
}

GLuint MeshWarpPass::render(GLuint source_texture, const WarpMesh& mesh) {
  if (!ready()) {
    if (error_.empty()) error_ = "mesh warp pass: init() was not called or failed";
    return 0;
  }
  const size_t n = mesh.positions.size();
  if (mesh.size.width <= 0 || mesh.size.height <= 0 || n == 0 || mesh.texcoords.size() != n ||
      mesh.tint.size() != n || mesh.tint_bgr.size() != n || source_texture == 0) {
    error_ = "mesh warp pass: empty or inconsistent mesh";
    return 0;
  }
  StateGuard guard;
  if (mesh.size.width != width_ || mesh.size.height != height_ || source_texture != drawn_source_)
    full_redraw_ = true;
  if (!ensure_target(mesh.size.width, mesh.size.height)) return 0;

  // Still background: the person and plate layers of this portrait, uploaded once.
  const StillBackground* bg = mesh.background.get();
  const bool layered = bg && bg->fits(mesh.size);
  if (layered && layers_of_ != mesh.background) {
    person_.upload(bg->person_bgra, true);
    plate_.upload(bg->plate_bgr, true);
    layers_of_ = mesh.background;
  }
  // The plate equals the source outside the region, so switching between the
  // two backdrops needs no full redraw: the region is redrawn every frame.
  const GLuint moved = layered ? person_.id() : source_texture;     // sampled through the mesh
  const GLuint backdrop = layered ? plate_.id() : source_texture;   // copied, then blended over

  std::vector<float> vertices(n * kFloatsPerVertex);
  for (size_t i = 0; i < n; ++i) {
    float* v = &vertices[i * kFloatsPerVertex];
    v[0] = mesh.positions[i].x;
    v[1] = mesh.positions[i].y;
    v[2] = mesh.texcoords[i].x;
    v[3] = mesh.texcoords[i].y;
    v[4] = mesh.tint[i];
    v[5] = mesh.tint_bgr[i][2] / 255.f;  // RGB 0..1
    v[6] = mesh.tint_bgr[i][1] / 255.f;
    v[7] = mesh.tint_bgr[i][0] / 255.f;
  }
  std::vector<GLuint> indices;
  indices.reserve(3 * (mesh.eye_triangles.size() + mesh.triangles.size() + mesh.mouth_triangles.size()));
  // Triangles wholly outside the mask would only write alpha 0: skipped (on
  // software GL a fifth of the region's pixels, its corners).
  auto push = [&](const std::vector<cv::Vec3i>& tris) {
    for (const auto& t : tris)
      if (t[0] >= 0 && t[1] >= 0 && t[2] >= 0 && static_cast<size_t>(std::max({t[0], t[1], t[2]})) < n &&
          mesh.mask.touches_triangle(mesh.positions[t[0]], mesh.positions[t[1]], mesh.positions[t[2]]))
        for (int k = 0; k < 3; ++k) indices.push_back(static_cast<GLuint>(t[k]));
  };
  push(mesh.eye_triangles);  // first: the lids drawn after cover a collapsed eye
  push(mesh.triangles);
  const GLsizei skin_count = static_cast<GLsizei>(indices.size());
  push(mesh.mouth_triangles);
  const GLsizei mouth_count = static_cast<GLsizei>(indices.size()) - skin_count;

  // What to draw: everything, or what this mask and the last one cover (the
  // backdrop copied there restores the old region).
  const cv::Rect region = mesh.mask.bounding_rect(mesh.size);
  const cv::Rect r = full_redraw_ ? cv::Rect(0, 0, width_, height_) : (region | drawn_rect_);
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, fbo_);
  glViewport(0, 0, width_, height_);
  glDisable(GL_DEPTH_TEST);
  glDisable(GL_CULL_FACE);  // triangles of either winding (a mirrored source is still drawn)
  glEnable(GL_SCISSOR_TEST);
  glScissor(r.x, r.y, r.width, r.height);  // framebuffer rows = image rows (see the header)

  // 1. The backdrop into the target: a plain copy (the blit's scissor is r).
  glBindFramebuffer(GL_READ_FRAMEBUFFER, backdrop_fbo_);
  glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, backdrop, 0);
  glBlitFramebuffer(r.x, r.y, r.x + r.width, r.y + r.height, r.x, r.y, r.x + r.width, r.y + r.height,
                    GL_COLOR_BUFFER_BIT, GL_NEAREST);
  glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, 0, 0);  // no stale attachment

  // 2. The warped triangles blended over it: colour by the shader's alpha
  //    (mask x person alpha), the backdrop's alpha kept. Where triangles
  //    overlap (the lids over a collapsed eye) the later one is blended over
  //    the earlier; the CPU oracle keeps only the later. The same there,
  //    because inside the face both the mask and the person alpha are 1.
  glEnable(GL_BLEND);
  glBlendEquationSeparate(GL_FUNC_ADD, GL_FUNC_ADD);
  glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ZERO, GL_ONE);
  glBindVertexArray(vao_);
  glBindBuffer(GL_ARRAY_BUFFER, vbo_);
  glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(vertices.size() * sizeof(float)), vertices.data(), GL_STREAM_DRAW);
  glBufferData(GL_ELEMENT_ARRAY_BUFFER, static_cast<GLsizeiptr>(indices.size() * sizeof(GLuint)), indices.data(),
               GL_STREAM_DRAW);
  glBindBuffer(GL_ARRAY_BUFFER, 0);
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, moved);
  glBindSampler(0, sampler_);
  skin_.set_uniforms(mesh, width_, height_);
  glDrawElements(GL_TRIANGLES, skin_count, GL_UNSIGNED_INT, nullptr);
  if (mouth_count > 0) {
    mouth_.set_uniforms(mesh, width_, height_);
    glDrawElements(GL_TRIANGLES, mouth_count, GL_UNSIGNED_INT,
                   reinterpret_cast<const void*>(static_cast<std::size_t>(skin_count) * sizeof(GLuint)));
  }
  if (const GLenum err = glGetError(); err != GL_NO_ERROR) {
    error_ = "mesh warp pass: GL error " + std::to_string(err) + " while drawing";
    full_redraw_ = true;
    return 0;
  }
  full_redraw_ = false;
  drawn_source_ = source_texture;
  drawn_rect_ = region;
  return color_;
}

}  // namespace lp::gl
