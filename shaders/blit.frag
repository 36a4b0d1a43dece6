#version 330 core
// Copies a texture to the target unchanged (used to show the crop alone, as the
// official implementation does when paste-back or stitching is off).
in vec2 v_pixel;
out vec4 frag_color;
uniform sampler2D u_image;
uniform vec2 u_target_size;

void main() {
  frag_color = vec4(texture(u_image, v_pixel / u_target_size).rgb, 1.0);
}
