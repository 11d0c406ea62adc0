#version 330
// The HUD's text, blended over the picture (alpha from the text texture).
uniform sampler2D u_text;
in vec2 v_uv;
out vec4 f_color;

void main() {
    f_color = texture(u_text, v_uv);
}
