#version 330
// The blackout: darkens the picture by u_amount (0 untouched, 1 black). Last in the chain, so every sink sees it.
uniform sampler2D u_image;
uniform float u_amount;
in vec2 v_uv;
out vec4 f_color;

void main() {
    f_color = vec4(texture(u_image, v_uv).rgb * (1.0 - clamp(u_amount, 0.0, 1.0)), 1.0);
}
