#version 330
// livedream effect: flash. Contract: see contrast.frag (v_uv, u_image, u_amount, ... -> f_color), plus
//   uniform float u_flash_mode;  0 "tonemap" (the default), 1 "lsd" (the flash_mode parameter's choices, in order)
// tonemap: an exposure boost in linear light (x (1 + 12 amount)) through a shoulder whose white point is the boosted
//   white (extended Reinhard), then a lift toward white (0.4 a^2): everything brightens, gradations in the
//   highlights survive (their contrast is compressed, not cut) and nothing clips that was not white already.
// lsd: Lucid Sonic Dreams' flash_effect, i.e. skimage rescale_intensity(img, in_range=(0, 255 * (1 - amount))):
//   everything brighter than 1 - amount becomes white.
in vec2 v_uv;
uniform sampler2D u_image;
uniform float u_amount;
uniform float u_flash_mode;
out vec4 f_color;

const float GAIN = 12.0;  // exposure gain per unit of amount (x7 at 0.5)
const float LIFT = 0.4;   // the share of white mixed in at amount 1 (a quarter of that at 0.5)
const float GAMMA = 2.2;  // display <-> linear light

void main() {
    vec3 c = texture(u_image, v_uv).rgb;
    if (u_flash_mode > 0.5) {
        // Guard amount -> 1: the range would collapse to zero width (a division by zero); 1e-3 is white for any c > 0.
        float top = max(1.0 - u_amount, 1e-3);
        f_color = vec4(clamp(c / top, 0.0, 1.0), 1.0);
        return;
    }
    float a = clamp(u_amount, 0.0, 1.0);
    float g = 1.0 + GAIN * a;
    vec3 e = pow(c, vec3(GAMMA)) * g;                   // exposed, linear; white is now g
    vec3 y = e * (1.0 + e / (g * g)) / (1.0 + e);      // maps [0, g] onto [0, 1]: g -> 1 exactly, smoothly
    vec3 shown = pow(y, vec3(1.0 / GAMMA));
    float lift = LIFT * a * a;  // quadratic: the idle envelope between hits leaves blacks black
    f_color = vec4(clamp(mix(shown, vec3(1.0), lift), 0.0, 1.0), 1.0);
}
