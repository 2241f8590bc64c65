"""Unit tests of ruvllm_web.learning: SONA, EWC++, spherical k-means and the trajectory buffer."""
