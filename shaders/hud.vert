#version 330
// The HUD's quad: u_rect is (x0, y0, x1, y1) in clip space; the text texture's row 0 is its top line.
uniform vec4 u_rect;
out vec2 v_uv;

void main() {
    vec2 corner = vec2(gl_VertexID & 1, gl_VertexID >> 1);  // (0,0) (1,0) (0,1) (1,1)
    v_uv = vec2(corner.x, 1.0 - corner.y);
    gl_Position = vec4(mix(u_rect.xy, u_rect.zw, corner), 0.0, 1.0);
}
