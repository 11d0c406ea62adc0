#version 330
// livedream effect: flash (Lucid Sonic Dreams' flash_effect, i.e. skimage
// rescale_intensity(img, in_range=(0, 255 * (1 - amount)))): everything brighter than 1 - amount becomes white.
// Contract: see contrast.frag (v_uv, u_image, u_amount, u_mean_grey, u_time, u_resolution -> f_color).
in vec2 v_uv;
uniform sampler2D u_image;
uniform float u_amount;
out vec4 f_color;

void main() {
    vec3 c = texture(u_image, v_uv).rgb;
    // Guard amount -> 1: the range would collapse to zero width (a division by zero); 1e-3 is white for any c > 0.
    float top = max(1.0 - u_amount, 1e-3);
    f_color = vec4(clamp(c / top, 0.0, 1.0), 1.0);
}
