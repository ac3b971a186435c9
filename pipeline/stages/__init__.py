"""One module per DVC stage; each ``run(params, ...)`` alone writes its stage's outputs."""
