#include <stdio.h>
int main(void) { puts("srebot " SREBOT_VERSION); return 0; }
