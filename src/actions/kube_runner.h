/* What the Kubernetes runners share (delete_completed_pods, suspend_cronjob,
 * scale_to_zero, rollout_restart, cordon_node, patch_config): the client from
 * the runner deps, target parsing with DNS-1123 checks, the protected
 * namespace refusal every one of them makes itself (not only the evaluator),
 * and one request helper that turns the deadline into a timeout and appends
 * ?dryRun=All for a preflight (the API server validates and answers what it
 * would do, and changes nothing). */
#ifndef SREBOT_ACTIONS_KUBE_RUNNER_H
#define SREBOT_ACTIONS_KUBE_RUNNER_H

#include <jansson.h>
#include <stddef.h>

#include "actions/runner.h"
#include "kube/client.h"

/* init for every Kubernetes runner: the instance is the client (may be NULL). */
int kube_runner_init(const json_t *cfg, void *deps, void **instance, char *err, size_t errlen);
void kube_runner_destroy(void *instance);

/* A parsed target: "<ns>", "<ns>/<name>", "<ns>/<Kind>/<name>" or "<node>". */
struct kube_target {
    char ns[64];
    char kind[32];  /* "Deployment" / "StatefulSet", or "" */
    char name[254];
    const char *resource; /* "deployments" / "statefulsets" for a kind, else NULL */
};
enum kube_target_shape { KT_NAMESPACE, KT_NS_NAME, KT_WORKLOAD, KT_NODE };
/* 0, or -1 with a problem at /target. */
int kube_target_parse(const char *target, enum kube_target_shape shape, struct kube_target *t,
                      struct problems *p);

/* Common start of preflight and execute: the client is there, the target
 * parses, its namespace is not protected by rq->policy. ADAPTER_OK, or
 * ADAPTER_ERROR with out->error set. */
enum adapter_result kube_runner_begin(void *instance, const struct runner_request *rq,
                                      enum kube_target_shape shape, struct kube_target *t,
                                      struct runner_outcome *out);

/* ADAPTER_ERROR (out->error set) when ns is in rq->policy's
 * allowlists.protected_namespaces, else ADAPTER_OK. */
enum adapter_result kube_runner_protected(const struct runner_request *rq, const char *ns,
                                          struct runner_outcome *out);

/* One API call within rq's deadline; dry adds dryRun=All. The answer's JSON
 * (2xx) in *answer (may be NULL to drop it). Returns the HTTP status, or -1
 * on a transport error (err set; for a non-2xx answer err holds the Status). */
long kube_runner_call(struct kube_client *kc, const struct runner_request *rq, const char *method,
                      const char *path, const char *content_type, const char *body, int dry,
                      json_t **answer, char *err, size_t errlen);

/* A write (PATCH) checked first: the same request with dryRun=All (the API
 * server validates it, admission and RBAC included, and changes nothing),
 * then, unless dry, for real. Returns the last status as kube_runner_call. */
long kube_runner_write(struct kube_client *kc, const struct runner_request *rq, const char *method,
                       const char *path, const char *content_type, const char *body, int dry,
                       char *err, size_t errlen);

/* Maps a failed call to the outcome: 429, 5xx and transport errors RETRY,
 * the rest ERROR; out->error gets "<what>: <err>". */
enum adapter_result kube_runner_fail(long status, const char *what, const char *err,
                                     struct runner_outcome *out);

/* The runners that are one patch of one object (suspend_cronjob, cordon_node,
 * rollout_restart): read the object (what it was is recorded), skip the patch
 * when it already is as wanted (the same idempotency key twice is one
 * effect), preflight the patch with dryRun=All. */
struct one_patch {
    const char *what;                 /* "suspend CronJob" */
    enum kube_target_shape shape;
    /* the object's path */
    void (*path)(const struct kube_target *t, char *out, size_t outlen);
    /* the patch body (new reference), or NULL when obj already is as wanted */
    json_t *(*patch)(const struct runner_request *rq, const json_t *obj);
    const char *content_type;
};

enum adapter_result kube_run_patch(const struct one_patch *op, void *instance,
                                   const struct runner_request *rq, struct runner_outcome *out,
                                   int dry);

/* Defines the runner_ops `var` for a struct one_patch. */
#define ONE_PATCH_RUNNER(var, op, name_, desc)                                                     \
    static int var##_validate(void *instance, const char *target, const json_t *params,           \
                              struct problems *p)                                                  \
    {                                                                                              \
        struct kube_target t;                                                                      \
        kube_target_parse(target, (op).shape, &t, p);                                              \
        return problems_any(p) ? -1 : 0;                                                           \
    }                                                                                              \
    static enum adapter_result var##_preflight(void *instance, const struct runner_request *rq,   \
                                               struct runner_outcome *out)                         \
    {                                                                                              \
        return kube_run_patch(&(op), instance, rq, out, 1);                                             \
    }                                                                                              \
    static enum adapter_result var##_execute(void *instance, const struct runner_request *rq,     \
                                             struct runner_outcome *out)                           \
    {                                                                                              \
        return kube_run_patch(&(op), instance, rq, out, 0);                                             \
    }                                                                                              \
    const struct runner_ops var = {                                                                \
        .name = name_,                                                                             \
        .description = desc,                                                                       \
        .verify = RUNNER_VERIFY_SIGNAL,                                                            \
        .init = kube_runner_init,                                                                  \
        .validate = var##_validate,                                                                \
        .preflight = var##_preflight,                                                              \
        .execute = var##_execute,                                                                  \
        .destroy = kube_runner_destroy,                                                            \
    };

#endif
