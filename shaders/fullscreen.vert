#version 330 core
// A full-screen triangle without vertex buffers: gl_VertexID 0,1,2 cover the
// viewport. v_pixel is the fragment's position in target pixels (top-left
// origin, pixel centres at integer + 0.5), which the fragment shaders map
// through affine transforms exactly as OpenCV's warpAffine does.
uniform vec2 u_target_size;  // width, height of the render target in pixels
out vec2 v_pixel;

void main() {
  vec2 ndc = vec2((gl_VertexID == 1) ? 3.0 : -1.0, (gl_VertexID == 2) ? 3.0 : -1.0);
  gl_Position = vec4(ndc, 0.0, 1.0);
  // NDC y = +1 is the top row of the image we render (we read it back top-down).
  v_pixel = vec2((ndc.x + 1.0) * 0.5 * u_target_size.x, (1.0 - ndc.y) * 0.5 * u_target_size.y);
}
