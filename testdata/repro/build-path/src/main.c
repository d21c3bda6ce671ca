#include <stdio.h>
int main(void) { printf("built from %s\n", __FILE__); return 0; }
