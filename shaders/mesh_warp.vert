#version 330 core
// Classic engine mesh warp (see engine/classic/warp_mesh.h for the contract;
// the CPU oracle is engine/classic/warp_render_cpu.cpp).
// Positions are the driven vertices, texture coordinates the source vertices,
// both in source pixels with OpenCV's pixel-centre convention; image row 0 is
// framebuffer row 0 and texture t = 0 (no flip).
layout(location = 0) in vec2 a_position;  // output pixels
layout(location = 1) in vec2 a_texcoord;  // source pixels
layout(location = 2) in float a_tint;     // share of a_tint_color (closing lids)
layout(location = 3) in vec3 a_tint_color;  // RGB 0..1, the lid's skin colour at this vertex

uniform vec2 u_size;  // source (= output) size in pixels

out vec2 v_uv;
out float v_tint;
out vec3 v_tint_color;

void main() {
  v_uv = (a_texcoord + 0.5) / u_size;
  v_tint = a_tint;
  v_tint_color = a_tint_color;
  gl_Position = vec4((a_position + 0.5) / u_size * 2.0 - 1.0, 0.0, 1.0);
}
