"""Image generators: the built-in procedural style, StyleGAN2, user callables."""
