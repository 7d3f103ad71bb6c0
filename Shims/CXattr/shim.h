// Extended attributes: not part of Swift's Glibc module.
#include <sys/xattr.h>
