"""GL rendering: headless or window contexts and the shader effect chain."""
