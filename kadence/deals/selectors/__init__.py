"""Deal-control reads, one module per capability; every selector takes the user and reads only what
kadence.core.visibility lets them see."""
