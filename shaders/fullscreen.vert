#version 330
// Shared vertex shader of every pass: one triangle that covers the viewport, drawn with no vertex buffer.
// v_uv runs 0..1 across the viewport; v_uv.y = 0 is the first row in memory (the image's top row).
out vec2 v_uv;

void main() {
    vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));  // (0,0), (2,0), (0,2)
    v_uv = p;
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
