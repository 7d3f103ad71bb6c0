#include "berth_curl.h"

CURLcode berth_curl_setopt_long(CURL *curl, CURLoption option, long value) {
    return curl_easy_setopt(curl, option, value);
}

CURLcode berth_curl_setopt_ptr(CURL *curl, CURLoption option, const void *value) {
    return curl_easy_setopt(curl, option, value);
}

CURLcode berth_curl_setopt_off(CURL *curl, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(curl, option, value);
}

CURLcode berth_curl_setopt_write(CURL *curl, curl_write_callback callback, void *userdata) {
    CURLcode rc = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, callback);
    return rc != CURLE_OK ? rc : curl_easy_setopt(curl, CURLOPT_WRITEDATA, userdata);
}

CURLcode berth_curl_setopt_header(CURL *curl, curl_write_callback callback, void *userdata) {
    CURLcode rc = curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, callback);
    return rc != CURLE_OK ? rc : curl_easy_setopt(curl, CURLOPT_HEADERDATA, userdata);
}

CURLcode berth_curl_setopt_read(CURL *curl, curl_read_callback callback, void *userdata) {
    CURLcode rc = curl_easy_setopt(curl, CURLOPT_READFUNCTION, callback);
    return rc != CURLE_OK ? rc : curl_easy_setopt(curl, CURLOPT_READDATA, userdata);
}

CURLcode berth_curl_setopt_progress(CURL *curl, curl_xferinfo_callback callback, void *userdata) {
    CURLcode rc = curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, callback);
    if (rc == CURLE_OK) rc = curl_easy_setopt(curl, CURLOPT_XFERINFODATA, userdata);
    return rc != CURLE_OK ? rc : curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
}

CURLcode berth_curl_getinfo_long(CURL *curl, CURLINFO info, long *value) {
    return curl_easy_getinfo(curl, info, value);
}

CURLcode berth_curl_getinfo_string(CURL *curl, CURLINFO info, const char **value) {
    return curl_easy_getinfo(curl, info, value);
}
