// The ImageReference module.
