#version 330 core
// Classic engine mesh warp: samples the source through the driven mesh, tints
// closing lids, shades the mouth interior, and composites over the source with
// the feathered region mask so that outside the region the source pixel is
// written unchanged (bit for bit).
in vec2 v_uv;
in float v_mouth_v;
in float v_tint;
in vec3 v_tint_color;  // RGB 0..1, interpolated separately from v_tint (as the CPU oracle does)

uniform sampler2D u_source;      // linear filtering, clamp to edge (the pass binds a sampler)
// Still background (engine/classic/still_background.h): RGB = the plate behind
// the person, A = the person's alpha, both in source pixels like u_source.
uniform sampler2D u_layers;
uniform int u_still_background;  // 1: the background stays, only the person follows the mesh
uniform int u_mouth_pass;        // 0: skin triangles, 1: mouth-interior triangles
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
uniform vec2 u_mask_center;      // pixels
uniform vec2 u_mask_inv_axes;    // 1 / semi-axes, pixels^-1
uniform vec2 u_mask_rot;         // (cos, sin) of the mask angle
uniform vec2 u_mask_feather;     // (inner, outer) normalised radii

out vec4 frag_color;

float feather_mask(vec2 p) {
  vec2 d = p - u_mask_center;
  float u = (u_mask_rot.x * d.x + u_mask_rot.y * d.y) * u_mask_inv_axes.x;
  float v = (-u_mask_rot.y * d.x + u_mask_rot.x * d.y) * u_mask_inv_axes.y;
  return 1.0 - smoothstep(u_mask_feather.x, u_mask_feather.y, sqrt(u * u + v * v));
}

void main() {
  vec4 src = texelFetch(u_source, ivec2(gl_FragCoord.xy), 0);
  float m = feather_mask(gl_FragCoord.xy - 0.5);  // pixel-centre coordinates
  if (m <= 0.0) {
    frag_color = src;
    return;
  }
  vec4 c = texture(u_source, v_uv);
  if (v_tint > 0.0) c.rgb = mix(c.rgb, v_tint_color, v_tint);
  if (u_mouth_pass == 1) {
    // Teeth under the upper lip, the dark cavity, a hint of tongue towards the
    // lower lip; at full darkness none of the stretched texture shows.
    float v = min(v_mouth_v, 1.0);
    vec3 cavity = mix(u_mouth_top, u_mouth_bottom, v);
    vec3 shade = mix(u_mouth_teeth, cavity, smoothstep(kMouthTeethEnd, kMouthTeethEnd + kMouthTeethFade, v));
    shade = mix(shade, u_mouth_tongue, kMouthTongueShare * smoothstep(kMouthTongueStart, 1.0, v));
    c.rgb = mix(c.rgb, shade, u_mouth_darkness);
  }
  if (u_still_background == 1) {
    // The person alpha moves with the mesh (sampled like the colour); the
    // plate does not (read at this pixel).
    float person = texture(u_layers, v_uv).a;
    if (person < 1.0) c.rgb = mix(texelFetch(u_layers, ivec2(gl_FragCoord.xy), 0).rgb, c.rgb, person);
  }
  frag_color = mix(src, c, m);
}
