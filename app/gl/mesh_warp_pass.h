#pragma once
// The classic engine's GL pass: draws a WarpMesh (engine/classic/warp_mesh.h)
// over the source texture into an off-screen framebuffer at source resolution,
// with shaders/mesh_warp.vert + shaders/mesh_warp.frag. The result equals
// lp::render_cpu() (engine/classic/warp_render_cpu.h) to within rounding, and
// the source exactly outside the mesh's feathered mask.
//
// Texture convention: image row 0 at t = 0 (upload rows top-first, as
// cv::Mat stores them); the output texture follows the same convention, so
// glReadPixels of the framebuffer gives rows in cv::Mat order.
// Requires a current GL 3.3 core context on the calling thread.
#include "classic/warp_mesh.h"
#include "gl/gl.h"
#include "gl/shader_program.h"
#include "gl/texture.h"

#include <memory>
#include <string>

namespace lp::gl {

class MeshWarpPass {
 public:
  MeshWarpPass() = default;
  ~MeshWarpPass();
  MeshWarpPass(const MeshWarpPass&) = delete;
  MeshWarpPass& operator=(const MeshWarpPass&) = delete;

  // Loads and compiles the shaders and creates the GL objects. On failure
  // returns false and error() says why ("shaders/mesh_warp.frag:12: ...").
  bool init();
  bool ready() const { return program_.valid(); }
  const std::string& error() const { return error_; }

  // Draws `mesh` sampling `source_texture` (and, when mesh.background is
  // set, its person/plate layers, uploaded once per StillBackground) (GL_TEXTURE_2D of mesh.size) into
  // the pass's RGBA8 output texture (resized to mesh.size as needed) and
  // returns that texture; 0 on error (error() set). The caller's framebuffer
  // binding, viewport, program and capabilities are restored.
  //
  // Only the pixels the mesh's mask can change are drawn (a scissor around the
  // mask, joined with last frame's); the rest of the output keeps the source
  // from the last full draw. A full draw happens on the first call, when the
  // size or the texture id changes, and after invalidate(). On software GL
  // (llvmpipe) this is most of the pass's cost for a portrait whose face is a
  // fraction of the image.
  GLuint render(GLuint source_texture, const WarpMesh& mesh);
  // The source texture's contents changed (same id): redraw everything next time.
  void invalidate() { full_redraw_ = true; }

  GLuint output_texture() const { return color_; }
  GLuint framebuffer() const { return fbo_; }
  int width() const { return width_; }
  int height() const { return height_; }

  // Deletes the GL objects (call with the context current; the destructor
  // does too).
  void release();

 private:
  bool ensure_target(int width, int height);

  ShaderProgram program_;
  std::string error_;
  GLuint vao_ = 0, vbo_ = 0, ebo_ = 0, sampler_ = 0;
  GLuint fbo_ = 0, color_ = 0;
  int width_ = 0, height_ = 0;
  bool full_redraw_ = true;
  GLuint drawn_source_ = 0;  // texture of the last draw
  Texture layers_;           // mesh.background: RGB = plate, A = person
  std::shared_ptr<const StillBackground> layers_of_;  // what layers_ holds (kept alive: no address reuse)
  cv::Rect drawn_rect_;      // pixels the last draw could have changed
  struct Uniforms {
    GLint size, source, mouth_pass, mouth_darkness, mouth_top, mouth_bottom, mouth_teeth, mouth_tongue;
    GLint mask_center, mask_inv_axes, mask_rot, mask_feather, layers, still_background;
  } u_{};
};

}  // namespace lp::gl
