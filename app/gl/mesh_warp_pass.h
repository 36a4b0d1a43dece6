#pragma once
// The classic engine's GL pass: draws a WarpMesh (engine/classic/warp_mesh.h)
// into an off-screen framebuffer at source resolution, with
// shaders/mesh_warp.vert + shaders/mesh_warp.frag. Each frame it copies the
// backdrop (the still background's plate, else the source) into the target
// and blends the warped triangles over it with alpha = mask x person alpha.
// The result equals lp::render_cpu() (engine/classic/warp_render_cpu.h) to
// within rounding, and the source exactly outside the mesh's feathered mask.
//
// Why copy-then-blend: on software GL (llvmpipe, this project's CI and any
// machine without a GPU) every texture fetch in the fragment shader costs
// about as much as the rest of the shader; a copy is a memcpy and blending
// reads the target's own tile, so each warped pixel fetches one texel.
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
#include <vector>

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
  bool ready() const { return skin_.program.valid() && mouth_.program.valid(); }
  const std::string& error() const { return error_; }

  // Draws `mesh` sampling `source_texture` (GL_TEXTURE_2D of mesh.size; when
  // mesh.background is set, its person and plate layers instead, uploaded
  // once per StillBackground) into
  // the pass's RGBA8 output texture (resized to mesh.size as needed) and
  // returns that texture; 0 on error (error() set). The caller's framebuffer
  // binding, viewport, program and capabilities are restored.
  //
  // Only the pixels the mesh's mask can change are drawn (a scissor around the
  // mask, joined with last frame's); the rest of the output keeps the backdrop
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
  // One compiled variant of the fragment shader and its uniform locations.
  struct Program {
    ShaderProgram program;
    GLint size = -1, source = -1, mask_center = -1, mask_inv_axes = -1, mask_rot = -1, mask_feather = -1;
    GLint mouth_darkness = -1, mouth_top = -1, mouth_bottom = -1, mouth_teeth = -1, mouth_tongue = -1;
    GLint mouth_origin = -1, mouth_axis = -1, mouth_across = -1, mouth_upper = -1, mouth_lower = -1, mouth_points = -1,
          mouth_teeth_depth = -1;
    GLint source_mouth_origin = -1, source_mouth_axis = -1, source_mouth_across = -1, source_mouth_upper = -1,
          source_mouth_lower = -1, source_mouth_points = -1;
    bool load(const std::vector<std::string>& defines, std::string& error);
    void set_uniforms(const WarpMesh& mesh, int width, int height) const;
  };

  bool ensure_target(int width, int height);

  Program skin_;   // skin and eye triangles
  Program mouth_;  // mouth-interior triangles (LP_MOUTH_PASS)
  std::string error_;
  GLuint vao_ = 0, vbo_ = 0, ebo_ = 0, sampler_ = 0;
  GLuint fbo_ = 0, color_ = 0;
  GLuint backdrop_fbo_ = 0;  // read framebuffer the backdrop texture is attached to
  int width_ = 0, height_ = 0;
  bool full_redraw_ = true;
  GLuint drawn_source_ = 0;  // texture of the last draw
  Texture person_;           // mesh.background->person_bgra
  Texture plate_;            // mesh.background->plate_bgr
  std::shared_ptr<const StillBackground> layers_of_;  // what person_/plate_ hold (kept alive: no address reuse)
  cv::Rect drawn_rect_;      // pixels the last draw could have changed
};

}  // namespace lp::gl
