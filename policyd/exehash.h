/* SPDX-License-Identifier: GPL-2.0 */
/* Executables' SHA-256 digests, computed once per file version: a busy
 * host execs the same few binaries over and over. */
#ifndef HONE_EXEHASH_H
#define HONE_EXEHASH_H

#include <stdint.h>

struct exehash;

int exehash_init(struct exehash **out);
void exehash_free(struct exehash *h);
/* The digest of the file open at fd; cached while its device, inode,
 * size, mtime and ctime stay the same. */
int exehash_fd(struct exehash *h, int fd, uint8_t out[32]);

#endif /* HONE_EXEHASH_H */
