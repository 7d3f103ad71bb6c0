// Typed wrappers for libcurl's variadic setopt/getinfo, which Swift cannot call.
#ifndef BERTH_CURL_H
#define BERTH_CURL_H

#include <curl/curl.h>

CURLcode berth_curl_setopt_long(CURL *curl, CURLoption option, long value);
CURLcode berth_curl_setopt_ptr(CURL *curl, CURLoption option, const void *value);
CURLcode berth_curl_setopt_off(CURL *curl, CURLoption option, curl_off_t value);
CURLcode berth_curl_setopt_write(CURL *curl, curl_write_callback callback, void *userdata);
CURLcode berth_curl_setopt_header(CURL *curl, curl_write_callback callback, void *userdata);
CURLcode berth_curl_setopt_read(CURL *curl, curl_read_callback callback, void *userdata);
CURLcode berth_curl_setopt_progress(CURL *curl, curl_xferinfo_callback callback, void *userdata);
CURLcode berth_curl_getinfo_long(CURL *curl, CURLINFO info, long *value);
CURLcode berth_curl_getinfo_string(CURL *curl, CURLINFO info, const char **value);

#endif
