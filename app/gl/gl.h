#pragma once
// OpenGL 3.3 core entry points. On Linux, libGL (glvnd) exports every core
// function, so the prototypes from glext.h are enough and no loader library is
// needed. Include this instead of <GL/gl.h> everywhere in app/.
#ifndef GL_GLEXT_PROTOTYPES
#define GL_GLEXT_PROTOTYPES 1
#endif
#include <GL/gl.h>
#include <GL/glext.h>
