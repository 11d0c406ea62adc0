#version 330
// livedream effect: contrast (Lucid Sonic Dreams' contrast_effect, i.e. PIL ImageEnhance.Contrast(1 + amount)).
// Effect contract (shared by every shaders/<name>.frag run by EffectChain):
//   in vec2 v_uv;               0..1 across the image, v_uv.y = 0 at the top row
//   uniform sampler2D u_image;  the image so far (RGB in 0..1, bilinear, clamped at the edges)
//   uniform float u_amount;     amplitude x strength; 0 must leave the image unchanged (the pass is then skipped)
//   uniform float u_mean_grey;  mean ITU-R 601 luma of the chain's input frame, 0..1 (PIL's rounded integer / 255)
//   uniform float u_time;       seconds on the song's clock
//   uniform vec2 u_resolution;  the image size in pixels
//   out vec4 f_color;           RGB in 0..1 (clamped when stored)
// Unused uniforms may be left out.
in vec2 v_uv;
uniform sampler2D u_image;
uniform float u_amount;
uniform float u_mean_grey;
out vec4 f_color;

void main() {
    vec3 c = texture(u_image, v_uv).rgb;
    // A blend away from the flat mean-grey image: factor 1 + amount > 1 extrapolates (more contrast).
    f_color = vec4(clamp(u_mean_grey + (1.0 + u_amount) * (c - u_mean_grey), 0.0, 1.0), 1.0);
}
