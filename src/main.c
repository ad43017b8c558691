/* Placeholder until the store and HTTP server land; the composition root follows. */
#include <stdio.h>
int main(void) { puts("srebot " SREBOT_VERSION); return 0; }
