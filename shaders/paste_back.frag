#version 330 core
// Paste-back: composite the animated 512x512 crop into the full-resolution
// source. For each output pixel p (source coordinates) the crop is sampled at
// M_o2c * p and blended with the feathered crop mask sampled the same way, the
// GPU twin of the CPU oracle (warpAffine of crop and mask with M_c2o + blend).
in vec2 v_pixel;
out vec4 frag_color;

uniform sampler2D u_source;     // full-resolution source, RGB
uniform sampler2D u_crop;       // animated crop, RGB, u_crop_size square
uniform sampler2D u_mask;       // feathered mask, R, same size as the crop
uniform mat3 u_o2c;             // source pixel -> crop pixel (affine, last row 0 0 1)
uniform vec2 u_source_size;
uniform vec2 u_crop_size;
uniform vec3 u_color_shift;     // optional colour matching (added to the crop), 0 = off

void main() {
  // Pixel centres: OpenCV treats integer coordinates as centres, GL adds 0.5.
  vec2 p = v_pixel - 0.5;
  vec2 q = (u_o2c * vec3(p, 1.0)).xy;
  vec2 crop_uv = (q + 0.5) / u_crop_size;
  vec3 src = texture(u_source, (p + 0.5) / u_source_size).rgb;
  // Outside the crop square the mask is 0 (clamp-to-border, border 0).
  float m = texture(u_mask, crop_uv).r;
  vec3 crop = clamp(texture(u_crop, crop_uv).rgb + u_color_shift, 0.0, 1.0);
  frag_color = vec4(mix(src, crop, m), 1.0);
}
