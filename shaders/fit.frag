#version 330
// Final pass, not an effect: fits the processed source image into the output ("fill", "contain" or "mirror").
// u_rect is where the scaled image lies in output pixels (x0, y0, width, height; y from the top row down);
// it may overhang the output (fill) or leave bars (contain, mirror).
uniform sampler2D u_image;
uniform vec2 u_out_size;  // output size in pixels
uniform vec4 u_rect;
uniform float u_lod;      // mip level when shrinking, so that downscaling averages instead of aliasing
uniform int u_mirror;     // 1: bars show the image reflected about its edges; 0: bars are black
uniform int u_flip_y;     // 1 when drawing to a window's default framebuffer, whose first row is the bottom
out vec4 f_color;

void main() {
    vec2 px = gl_FragCoord.xy;
    if (u_flip_y == 1) {
        px.y = u_out_size.y - px.y;
    }
    vec2 uv = (px - u_rect.xy) / u_rect.zw;
    bool inside = all(greaterThanEqual(uv, vec2(0.0))) && all(lessThanEqual(uv, vec2(1.0)));
    if (u_mirror == 1) {
        uv = 1.0 - abs(1.0 - mod(uv, 2.0));  // triangle wave: reflect at every edge, seamlessly
    } else if (!inside) {
        f_color = vec4(0.0, 0.0, 0.0, 1.0);
        return;
    }
    f_color = vec4(textureLod(u_image, uv, u_lod).rgb, 1.0);
}
