"""The controller: audio features -> latent vectors and effect amplitudes, one step per video frame."""
