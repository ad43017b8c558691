/* Private to src/net/: one attempt of a request on an easy handle. */
#ifndef SREBOT_NET_TRANSFER_INT_H
#define SREBOT_NET_TRANSFER_INT_H

#include <curl/curl.h>

#include "net/client.h"

/* The state of one attempt, reachable from curl's callbacks. */
struct transfer {
    CURL *easy;
    struct curl_slist *headers;
    const struct net_request *req;
    struct net_response *resp;
    size_t max_body, body_cap;
    char *line;                /* streaming: the line being assembled */
    size_t line_len, max_line;
    unsigned long lines;       /* lines handed to on_line */
    int aborted_full;          /* we ended it: the answer passed max_body */
    int aborted_by_reader;     /* we ended it: on_line asked to stop */
    int line_too_long;
    char errbuf[CURL_ERROR_SIZE];
};

/* Sets up t->easy for r (resp gets the answer). Returns 0, or -1 with err. */
int transfer_setup(struct transfer *t, const struct net_request *r, struct net_response *resp,
                   const char *user_agent, CURLSH *share, char *err, size_t errlen);
/* After the transfer ended with code cc: 0 when an answer arrived (also when
 * we ended it on purpose), else -1 with err. Delivers a last partial line. */
int transfer_finish(struct transfer *t, CURLcode cc, char *err, size_t errlen);
/* Frees the easy handle and wipes the header lines (they may hold a credential). */
void transfer_cleanup(struct transfer *t);

#endif
