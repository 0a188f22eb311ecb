// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * flowtagd's side of the dynamic sets: make the pinned sets what the
 * policy declares (create, resize, forget), put their tries where the
 * programs look (ft_dset4_o/ft_dset6_o by set id), and collect expired
 * elements. See dynset_sync.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "dynset.h"
#include "dynset_sync.h"
#include "log.h"

/* Whether @id is taken by a pinned set other than @name. */
static bool id_taken(const char *pin_dir, char (*names)[FT_SET_NAME_LEN], size_t n, uint32_t id,
		     const char *name)
{
	struct ft_dynset s;
	size_t i;

	for (i = 0; i < n; i++) {
		bool same;

		if (!strcmp(names[i], name) || ft_dynset_open(pin_dir, names[i], &s))
			continue;
		same = s.inf.id == id;
		ft_dynset_close(&s);
		if (same)
			return true;
	}
	return false;
}

/* A free set id, or -ENOSPC. */
static int free_id(const char *pin_dir, const char *name)
{
	char (*names)[FT_SET_NAME_LEN];
	size_t n;
	uint32_t id;
	int err;

	err = ft_dynset_list(pin_dir, &names, &n);
	if (err)
		return err;
	for (id = 0; id < FT_MAX_SETIDS; id++)
		if (!id_taken(pin_dir, names, n, id, name))
			break;
	free(names);
	return id < FT_MAX_SETIDS ? (int)id : -ENOSPC;
}

/*
 * The pinned set for @set: opened, created (with its initial prefixes) or
 * resized. Holds the lock of PIN_DIR/sets.
 */
static int open_or_create(const char *pin_dir, const struct ft_prefix_set *set,
			  struct ft_dynset *s)
{
	size_t added;
	int err, id;

	err = ft_dynset_open(pin_dir, set->name, s);
	if (err && err != -ENOENT)
		return err;
	if (!err) {
		if (set->timeout != s->inf.timeout) {
			pr_info("dynamic set '%s': timeout %llu s for new elements (was %llu s)",
				set->name, (unsigned long long)set->timeout,
				(unsigned long long)s->inf.timeout);
			s->inf.timeout = set->timeout;
			err = ft_dynset_save_info(s);
			if (err)
				return err;
		}
		if (set->size != s->inf.size) {
			struct ft_dynset n;
			uint32_t old = s->inf.size;

			err = ft_dynset_create(NULL, set->name, s->inf.id, set->size, set->timeout,
					       &n);
			if (err)
				return err;
			err = ft_dynset_copy(s, &n);
			if (err == -ENOSPC) {
				ft_dynset_close(&n);
				pr_warn("dynamic set '%s': its %llu elements do not fit the new "
					"size %u: it keeps size %u (delete some with flowtagctl "
					"set del, then reload)",
					set->name, (unsigned long long)s->inf.elements, set->size,
					old);
				return 0;
			}
			if (err) {
				ft_dynset_close(&n);
				return err;
			}
			/* they fit: the pins get the new tries (the lock keeps
			 * flowtagctl out meanwhile), with the count and the
			 * next expiry of what was copied */
			{
				uint64_t elements = n.inf.elements, next = n.inf.next_expiry;

				n.inf = s->inf;
				n.inf.elements = elements;
				n.inf.next_expiry = next;
			}
			n.inf.size = set->size;
			ft_dynset_close(s);
			ft_dynset_remove(pin_dir, set->name);
			err = ft_dynset_pin(pin_dir, &n);
			if (err) {
				ft_dynset_close(&n);
				return err;
			}
			*s = n;
			pr_info("dynamic set '%s': size %u now (was %u), %llu elements kept",
				set->name, set->size, old, (unsigned long long)s->inf.elements);
		}
		return 0;
	}
	id = free_id(pin_dir, set->name);
	if (id < 0) {
		pr_err("dynamic set '%s': more than %d dynamic sets exist (remove one from the "
		       "policy)", set->name, FT_MAX_SETIDS);
		return id;
	}
	err = ft_dynset_create(pin_dir, set->name, (uint32_t)id, set->size, set->timeout, s);
	if (err)
		return err;
	err = ft_dynset_add(s, set->pfx, set->npfx, FT_DYNSET_DEFAULT_TIMEOUT, &added);
	if (!err)
		err = ft_dynset_save_info(s);
	if (err) {
		ft_dynset_close(s);
		ft_dynset_remove(pin_dir, set->name);
		return err;
	}
	pr_info("dynamic set '%s' created: size %u, timeout %llu s, %zu initial elements",
		set->name, set->size, (unsigned long long)set->timeout, added);
	return 0;
}

int ft_dynsets_install(const char *pin_dir, int outer4, int outer6, const struct ft_compiled *c,
		       struct ft_dynpol *dp)
{
	uint32_t *ids;
	size_t i, j, ndyn = 0;
	int lock = -1, err = 0;

	memset(dp, 0, sizeof(*dp));
	for (i = 0; i < c->nsets && !c->sets[i].dynamic; i++)
		;
	if (i == c->nsets)
		return 0;	/* no dynamic set: PIN_DIR/sets is not made */
	ids = calloc(c->nsets ? c->nsets : 1, sizeof(*ids));	/* by policy set index */
	if (!ids)
		return -ENOMEM;
	if (pin_dir && *pin_dir) {
		lock = ft_dynset_lock(pin_dir, true);
		if (lock < 0) {
			pr_err("dynamic sets: cannot lock %s/sets: %s", pin_dir, strerror(-lock));
			free(ids);
			return lock;
		}
	} else {
		pin_dir = NULL;
	}
	for (i = 0; i < c->nsets && !err; i++) {
		const struct ft_prefix_set *set = &c->sets[i];
		struct ft_dynset s;

		if (!set->dynamic)
			continue;
		if (ndyn == FT_MAX_SETIDS) {
			err = -ENOSPC;
			break;
		}
		if (pin_dir) {
			err = open_or_create(pin_dir, set, &s);
		} else {
			size_t added;

			/* private maps (tests): a new set with its initial content */
			err = ft_dynset_create(NULL, set->name, (uint32_t)ndyn, set->size,
					       set->timeout, &s);
			if (!err)
				err = ft_dynset_add(&s, set->pfx, set->npfx,
						    FT_DYNSET_DEFAULT_TIMEOUT, &added);
		}
		if (err) {
			pr_err("dynamic set '%s': %s", set->name, strerror(-err));
			break;
		}
		if (bpf_map_update_elem(outer4, &s.inf.id, &s.v4, 0) ||
		    bpf_map_update_elem(outer6, &s.inf.id, &s.v6, 0)) {
			err = -errno;
			pr_err("dynamic set '%s': cannot install its tries: %s", set->name,
			       strerror(-err));
		}
		ids[i] = s.inf.id;
		ft_dynset_close(&s);
		ndyn++;
	}
	ft_dynset_unlock(lock);
	if (!err) {
		dp->nsets = (uint32_t)c->ndyn;
		for (j = 0; j < c->ndyn; j++) {
			dp->id[j] = ids[c->dyn[j].set - c->sets];
			dp->fields[j] = c->dyn[j].fields;
		}
	}
	free(ids);
	return err;
}

int ft_dynsets_params_read(const char *pin_dir, struct ft_dynset_params **out, size_t *n)
{
	char (*names)[FT_SET_NAME_LEN];
	size_t cnt, i;
	int err;

	*out = NULL;
	*n = 0;
	err = ft_dynset_list(pin_dir, &names, &cnt);
	if (err || !cnt)
		return err;
	*out = calloc(cnt, sizeof(**out));
	if (!*out) {
		free(names);
		return -ENOMEM;
	}
	for (i = 0; i < cnt; i++) {
		struct ft_dynset s;

		if (ft_dynset_open(pin_dir, names[i], &s))
			continue;
		memcpy((*out)[*n].name, names[i], FT_SET_NAME_LEN);
		(*out)[*n].size = s.inf.size;
		(*out)[*n].timeout = s.inf.timeout;
		(*n)++;
		ft_dynset_close(&s);
	}
	free(names);
	return 0;
}

void ft_dynsets_params_restore(const char *pin_dir, int outer4, int outer6,
			       const struct ft_dynset_params *p, size_t n, bool remove_others)
{
	char (*names)[FT_SET_NAME_LEN];
	size_t cnt, i, k;
	int lock;

	if (ft_dynset_list(pin_dir, &names, &cnt) || !cnt)
		return;
	lock = ft_dynset_lock(pin_dir, false);
	for (i = 0; i < cnt; i++) {
		struct ft_prefix_set set = { .dynamic = true };
		struct ft_dynset s;

		for (k = 0; k < n && strncmp(p[k].name, names[i], FT_SET_NAME_LEN); k++)
			;
		if (k == n && !remove_others)
			continue;
		if (k == n) {
			/* made by the start that was undone */
			if (!ft_dynset_open(pin_dir, names[i], &s)) {
				bpf_map_delete_elem(outer4, &s.inf.id);
				bpf_map_delete_elem(outer6, &s.inf.id);
				ft_dynset_close(&s);
			}
			ft_dynset_remove(pin_dir, names[i]);
			pr_info("dynamic set '%s' removed: the undone start had made it", names[i]);
			continue;
		}
		snprintf(set.name, sizeof(set.name), "%s", p[k].name);
		set.size = p[k].size;
		set.timeout = p[k].timeout;
		if (open_or_create(pin_dir, &set, &s)) {
			pr_warn("dynamic set '%s': cannot give it back its size %u and timeout %llu s",
				set.name, set.size, (unsigned long long)set.timeout);
			continue;
		}
		if (bpf_map_update_elem(outer4, &s.inf.id, &s.v4, 0) ||
		    bpf_map_update_elem(outer6, &s.inf.id, &s.v6, 0))
			pr_warn("dynamic set '%s': cannot install its tries: %s", set.name,
				strerror(errno));
		ft_dynset_close(&s);
	}
	ft_dynset_unlock(lock);
	free(names);
}

void ft_dynsets_prune(const char *pin_dir, int outer4, int outer6, const struct ft_compiled *c,
		      const struct ft_dynpol *keep_dp)
{
	char (*names)[FT_SET_NAME_LEN];
	size_t n, i, k;
	int lock;

	if (!pin_dir || !*pin_dir || ft_dynset_list(pin_dir, &names, &n) || !n)
		return;
	lock = ft_dynset_lock(pin_dir, false);
	for (i = 0; i < n; i++) {
		struct ft_dynset s;
		bool keep = false, opened;

		for (k = 0; k < c->nsets; k++)
			keep |= c->sets[k].dynamic && !strcmp(c->sets[k].name, names[i]);
		if (keep)
			continue;
		opened = !ft_dynset_open(pin_dir, names[i], &s);
		/* the other slot's policy names it: kept for a way back */
		for (k = 0; opened && keep_dp && k < keep_dp->nsets && k < FT_MAX_DYNSETS; k++)
			keep |= keep_dp->id[k] == s.inf.id;
		if (keep) {
			pr_info("dynamic set '%s' is no longer in the policy; kept (%llu elements) "
				"while the previous policy can come back (rollback), until the "
				"next reload", names[i], (unsigned long long)s.inf.elements);
			ft_dynset_close(&s);
			continue;
		}
		if (opened) {
			bpf_map_delete_elem(outer4, &s.inf.id);
			bpf_map_delete_elem(outer6, &s.inf.id);
			pr_warn("dynamic set '%s' is no longer in the policy: its %llu elements "
				"are dropped", names[i], (unsigned long long)s.inf.elements);
			ft_dynset_close(&s);
		}
		ft_dynset_remove(pin_dir, names[i]);
	}
	ft_dynset_unlock(lock);
	free(names);
}

int ft_dynsets_gc(const char *pin_dir, size_t *collected)
{
	char (*names)[FT_SET_NAME_LEN];
	uint64_t now = ft_boot_ns();
	size_t n, i;
	int lock, err;

	*collected = 0;
	err = ft_dynset_list(pin_dir, &names, &n);
	if (err || !n)
		return err;
	lock = ft_dynset_lock(pin_dir, false);
	if (lock < 0) {
		free(names);
		return lock;
	}
	for (i = 0; i < n && !err; i++) {
		struct ft_dynset s;
		size_t k = 0;

		if (ft_dynset_open(pin_dir, names[i], &s))
			continue;
		/* nothing has expired yet: no walk (a set may hold 10^6 elements) */
		if (!s.inf.next_expiry || s.inf.next_expiry > now) {
			ft_dynset_close(&s);
			continue;
		}
		err = ft_dynset_gc(&s, now, &k);
		if (!err && !k)
			err = ft_dynset_save_info(&s);	/* its new next_expiry */
		if (!err && k) {
			err = ft_dynset_save_info(&s);
			/* an expired element could hide a shorter live one (FT_DSET_TRIES):
			 * flows cached meanwhile may be wrong now */
			if (!err)
				err = ft_dynset_publish(pin_dir, &s);
			pr_debug("dynamic set '%s': %zu expired elements collected", names[i], k);
		}
		*collected += k;
		ft_dynset_close(&s);
	}
	ft_dynset_unlock(lock);
	free(names);
	return err;
}
