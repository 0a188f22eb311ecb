/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * One flowtagd per network namespace: a locked pid file
 * /run/flowtag/flowtagd.<netns inode>.pid holding "PID\nPIN_DIR\n".
 *
 * /run is shared by `ip netns exec` (which gives the process a /sys, and
 * so a bpffs, of its own), so flowtagctl finds the daemon of its network
 * namespace here even when the pins are not visible to it, and reads them
 * through /proc/PID/root.
 */
#ifndef FLOWTAG_PIDFILE_H
#define FLOWTAG_PIDFILE_H

#include <stddef.h>
#include <sys/types.h>

#define FT_RUN_DIR	"/run/flowtag"

/**
 * ft_run_path() - FT_RUN_DIR/flowtagd.<netns inode>.@ext: a file of the
 * flowtagd of this process's network namespace ("pid", "sock").
 * Return: 0, or -errno when /proc/self/ns/net cannot be read.
 */
int ft_run_path(const char *ext, char *buf, size_t len);

/**
 * ft_pidfile_path() - the pid file of this process's network namespace.
 * Return: 0, or -errno when /proc/self/ns/net cannot be read.
 */
int ft_pidfile_path(char *buf, size_t len);

/**
 * ft_pidfile_lock() - create and lock the pid file, then write our pid and
 * @pin_dir into it.
 * @fd:     out, the locked file (keep it open while running)
 * @holder: out, on -EBUSY: the pid of the flowtagd that holds the lock
 * Return: 0; -EBUSY when another flowtagd of this network namespace runs;
 * other -errno when the file cannot be made (then there is no lock).
 */
int ft_pidfile_lock(const char *pin_dir, int *fd, pid_t *holder);

/** ft_pidfile_update() - write our pid again (after daemon(3) forked). */
int ft_pidfile_update(int fd, const char *pin_dir);

/** ft_pidfile_remove() - unlink and close the pid file @fd locks. */
void ft_pidfile_remove(int fd);

/**
 * ft_pidfile_read() - the pid and pin directory the pid file of this
 * network namespace names, whether or not that process still runs.
 * Return: 0, -ENOENT when there is none, or -errno.
 */
int ft_pidfile_read(pid_t *pid, char *pin_dir, size_t len);

#endif /* FLOWTAG_PIDFILE_H */
