#include <zlib.h>

// inflateInit2 is a macro (it passes the header's version and struct size), which Swift
// cannot call. 16 + MAX_WBITS: gzip wrapping only, the largest window.
static inline int berth_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 16 + MAX_WBITS);
}
