// The RuntimeService module.
