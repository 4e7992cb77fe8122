/*
 * Loads a prebuilt addon on a machine (or under qemu-user) where no Node.js of its
 * architecture runs, and runs its module initialiser against a recording stand-in for
 * the few Node-API calls the initialiser makes (napi_define_class, napi_create_object,
 * napi_create_int32, napi_set_named_property, napi_object_freeze). It prints what the
 * addon exports, one line each, in the form test/package.test.ts compares with the
 * host's addon loaded by Node itself:
 *
 *   class NetlinkSocket bind getsockname ...
 *   constants.SOL_NETLINK 270
 *   abi 2
 *
 * Any other Node-API function the initialiser calls is a failure (exit 3). Symbols are
 * bound lazily (RTLD_LAZY): the calls the initialiser does not make are never resolved.
 *
 * Build: aarch64-linux-gnu-gcc -rdynamic -I/usr/include/node napi-probe.c -ldl
 * Run:   qemu-aarch64 -L /usr/aarch64-linux-gnu ./napi-probe prebuilds/linux-arm64/X.node
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>

enum kind { K_OBJECT, K_INT, K_CLASS };

struct value {
  enum kind kind;
  int32_t i;
  char name[64];
  char props[2048]; /* an object's "key value" lines, a class's method names */
};

static struct value pool[64];
static size_t used;

static struct value *fresh(enum kind k) {
  if (used == sizeof(pool) / sizeof(pool[0])) {
    fprintf(stderr, "napi-probe: too many values\n");
    exit(3);
  }
  struct value *v = &pool[used++];
  memset(v, 0, sizeof(*v));
  v->kind = k;
  return v;
}

napi_status napi_create_object(napi_env env, napi_value *result) {
  *result = (napi_value)fresh(K_OBJECT);
  return napi_ok;
}

napi_status napi_create_int32(napi_env env, int32_t value, napi_value *result) {
  struct value *v = fresh(K_INT);
  v->i = value;
  *result = (napi_value)v;
  return napi_ok;
}

napi_status napi_define_class(napi_env env, const char *name, size_t length, napi_callback ctor, void *data,
                              size_t n, const napi_property_descriptor *props, napi_value *result) {
  struct value *v = fresh(K_CLASS);
  snprintf(v->name, sizeof(v->name), "%s", name);
  for (size_t i = 0; i < n; i++) {
    if (props[i].method == NULL) return napi_invalid_arg;
    strncat(v->props, " ", sizeof(v->props) - strlen(v->props) - 1);
    strncat(v->props, props[i].utf8name, sizeof(v->props) - strlen(v->props) - 1);
  }
  *result = (napi_value)v;
  return napi_ok;
}

napi_status napi_set_named_property(napi_env env, napi_value object, const char *key, napi_value value) {
  struct value *o = (struct value *)object, *v = (struct value *)value;
  char line[2200];
  if (v->kind == K_INT) snprintf(line, sizeof(line), "%s %d\n", key, v->i);
  else if (v->kind == K_CLASS) snprintf(line, sizeof(line), "class %s%s\n", v->name, v->props);
  else snprintf(line, sizeof(line), "%s <object>\n", key);
  strncat(o->props, line, sizeof(o->props) - strlen(o->props) - 1);
  if (v->kind == K_OBJECT) snprintf(v->name, sizeof(v->name), "%s", key);
  return napi_ok;
}

napi_status napi_object_freeze(napi_env env, napi_value object) {
  return napi_ok;
}

typedef napi_value (*init_fn)(napi_env, napi_value);

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: napi-probe ADDON.node\n");
    return 2;
  }
  void *h = dlopen(argv[1], RTLD_LAZY);
  if (h == NULL) {
    fprintf(stderr, "napi-probe: %s\n", dlerror());
    return 1;
  }
  init_fn init = (init_fn)dlsym(h, "napi_register_module_v1");
  if (init == NULL) {
    fprintf(stderr, "napi-probe: no napi_register_module_v1: %s\n", dlerror());
    return 1;
  }
  struct value *exports = fresh(K_OBJECT);
  if (init((napi_env)1, (napi_value)exports) != (napi_value)exports) {
    fprintf(stderr, "napi-probe: the initialiser failed\n");
    return 1;
  }
  /* exports first, then each object property (constants) with its key as prefix */
  fputs(exports->props, stdout);
  for (size_t i = 1; i < used; i++) {
    struct value *v = &pool[i];
    if (v->kind != K_OBJECT || v->name[0] == '\0') continue;
    for (char *line = strtok(v->props, "\n"); line != NULL; line = strtok(NULL, "\n")) printf("%s.%s\n", v->name, line);
  }
  return 0;
}
