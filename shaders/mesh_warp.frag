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
in float v_mouth_v;
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

// As mouth_shade() in engine/classic/warp_render_cpu.h (the CPU oracle).
const float kMouthTeethEnd = 0.2;
const float kMouthTeethFade = 0.1;
const float kMouthTongueStart = 0.55;
const float kMouthTongueShare = 0.6;
#endif

out vec4 frag_color;

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
  // lower lip; at full darkness none of the stretched texture shows.
  float v = min(v_mouth_v, 1.0);
  vec3 cavity = mix(u_mouth_top, u_mouth_bottom, v);
  vec3 shade = mix(u_mouth_teeth, cavity, smoothstep(kMouthTeethEnd, kMouthTeethEnd + kMouthTeethFade, v));
  shade = mix(shade, u_mouth_tongue, kMouthTongueShare * smoothstep(kMouthTongueStart, 1.0, v));
  c.rgb = mix(c.rgb, shade, u_mouth_darkness);
#endif
  frag_color = vec4(c.rgb, c.a * feather_mask(gl_FragCoord.xy - 0.5));  // pixel-centre coordinates
}
