// The ImageService module.
