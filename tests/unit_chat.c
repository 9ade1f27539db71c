/* Unit tests of the chat handler's parts: text rules, the room in shared
 * memory (ring, table, robust lock, sweeps), the named segment and the
 * futex wake-up.  Rooms live in anonymous shared mappings; dead
 * participants are forked children. */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat_live.h"
#include "chat_room.h"
#include "chat_seg.h"
#include "chat_text.h"
#include "chat_wake.h"
#include "harness.h"

static struct chat_room *
room_new(void)
{
	struct chat_room *room = mmap(NULL, sizeof(*room),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(room, MAP_FAILED);
	ck_assert_int_eq(chat_room_init(room), 0);
	ck_assert(chat_room_valid(room));
	return room;
}

/* Everything m has to read now, NUL-ended in buf. */
static int
fetch_all(struct chat_member *m, char *buf, size_t cap)
{
	size_t len;
	int r = chat_room_fetch(m, buf, cap - 1, &len);

	ck_assert_int_ne(r, -1);
	buf[len] = '\0';
	return r;
}

static void
say(struct chat_member *m, const char *text)
{
	ck_assert_int_eq(chat_room_say(m, text, strlen(text)), 0);
}

/* A unique segment room name for this test process. */
static const char *
seg_room(const char *tag)
{
	static char name[CHAT_NAME_MAX + 1];

	snprintf(name, sizeof(name), "ut%d-%s", (int)getpid(), tag);
	return name;
}

static void
seg_unlink(const char *room)
{
	char name[64];

	ck_assert_int_eq(chat_seg_name(name, sizeof(name), room), 0);
	(void)shm_unlink(name);
}

/* ---- text ---- */

START_TEST(chat_names_follow_the_service_name_rule)
{
	ck_assert(chat_name_valid("lobby"));
	ck_assert(chat_name_valid("a.b-c_D9"));
	ck_assert(chat_name_valid("x2345678901234567890123456789012"));
	ck_assert(!chat_name_valid(""));
	ck_assert(!chat_name_valid(".hidden"));
	ck_assert(!chat_name_valid("-opt"));
	ck_assert(!chat_name_valid("a/b"));
	ck_assert(!chat_name_valid("a b"));
	ck_assert(!chat_name_valid("127.0.0.1:80"));
	ck_assert(!chat_name_valid("x23456789012345678901234567890123"));
}
END_TEST

START_TEST(chat_lines_split_at_newlines_and_drop_one_cr)
{
	struct chat_lines st = { 0 };
	const char *in = "one\r\ntwo\npar", *line;
	size_t left = strlen(in), len;

	ck_assert_int_eq(chat_lines_next(&st, &in, &left, &line, &len),
	    CHAT_LINE_READY);
	ck_assert_int_eq(len, 3);
	ck_assert(memcmp(line, "one", 3) == 0);
	ck_assert_int_eq(chat_lines_next(&st, &in, &left, &line, &len),
	    CHAT_LINE_READY);
	ck_assert(len == 3 && memcmp(line, "two", 3) == 0);
	ck_assert_int_eq(chat_lines_next(&st, &in, &left, &line, &len),
	    CHAT_LINE_NONE);
	in = "tial\n";
	left = 5;
	ck_assert_int_eq(chat_lines_next(&st, &in, &left, &line, &len),
	    CHAT_LINE_READY);
	ck_assert(len == 7 && memcmp(line, "partial", 7) == 0);
}
END_TEST

START_TEST(chat_lines_report_an_overlong_line_once_and_skip_it)
{
	static char big[3 * CHAT_LINE_MAX];
	struct chat_lines st = { 0 };
	const char *in, *line;
	size_t left, len;

	/* Exactly CHAT_LINE_MAX bytes, with \r\n: fine. */
	memset(big, 'a', CHAT_LINE_MAX);
	memcpy(big + CHAT_LINE_MAX, "\r\n", 2);
	in = big;
	left = CHAT_LINE_MAX + 2;
	ck_assert_int_eq(chat_lines_next(&st, &in, &left, &line, &len),
	    CHAT_LINE_READY);
	ck_assert_int_eq(len, CHAT_LINE_MAX);
	/* One more byte: reported once, the rest up to \n skipped. */
	memset(big, 'b', sizeof(big));
	big[sizeof(big) - 4] = '\n';
	memcpy(big + sizeof(big) - 3, "ok\n", 3);
	in = big;
	left = sizeof(big);
	ck_assert_int_eq(chat_lines_next(&st, &in, &left, &line, &len),
	    CHAT_LINE_TOO_LONG);
	ck_assert_int_eq(chat_lines_next(&st, &in, &left, &line, &len),
	    CHAT_LINE_READY);
	ck_assert(len == 2 && memcmp(line, "ok", 2) == 0);
	ck_assert_int_eq(left, 0);
}
END_TEST

START_TEST(chat_lines_finish_hands_out_a_last_line_without_its_newline)
{
	static char big[CHAT_LINE_MAX + 8];
	struct chat_lines st = { 0 };
	const char *in = "one\nlast\r", *line;
	size_t left = strlen(in), len;

	ck_assert_int_eq(chat_lines_next(&st, &in, &left, &line, &len),
	    CHAT_LINE_READY);
	ck_assert_int_eq(chat_lines_next(&st, &in, &left, &line, &len),
	    CHAT_LINE_NONE);
	ck_assert_int_eq(chat_lines_finish(&st, &line, &len), CHAT_LINE_READY);
	ck_assert(len == 4 && memcmp(line, "last", 4) == 0);
	/* Nothing is left: nothing more to finish. */
	ck_assert_int_eq(chat_lines_finish(&st, &line, &len), CHAT_LINE_NONE);
	/* A last line already reported as too long stays dropped. */
	memset(big, 'x', sizeof(big));
	in = big;
	left = sizeof(big);
	ck_assert_int_eq(chat_lines_next(&st, &in, &left, &line, &len),
	    CHAT_LINE_TOO_LONG);
	ck_assert_int_eq(chat_lines_next(&st, &in, &left, &line, &len),
	    CHAT_LINE_NONE);
	ck_assert_int_eq(chat_lines_finish(&st, &line, &len), CHAT_LINE_NONE);
}
END_TEST

START_TEST(chat_text_clean_replaces_control_bytes_only)
{
	char text[] = "a\x1b[2Jb\tc\x7f\r\xc3\xa9";

	chat_text_clean(text, sizeof(text) - 1);
	ck_assert_str_eq(text, "a?[2Jb\tc??\xc3\xa9");
}
END_TEST

START_TEST(chat_rate_allows_a_burst_then_refills_over_time)
{
	struct chat_rate r;
	int i;

	chat_rate_init(&r, 1000);
	for (i = 0; i < CHAT_RATE_BURST; i++)
		ck_assert(chat_rate_take(&r, 1000));
	ck_assert(!chat_rate_take(&r, 1000));
	ck_assert(!chat_rate_take(&r, 1000 + 1000 / CHAT_RATE_PER_S - 1));
	ck_assert(chat_rate_take(&r, 1000 + 1000 / CHAT_RATE_PER_S));
	ck_assert(!chat_rate_take(&r, 1000 + 1000 / CHAT_RATE_PER_S));
	/* A long pause refills to the burst, no more. */
	for (i = 0; i < CHAT_RATE_BURST; i++)
		ck_assert(chat_rate_take(&r, 1000000));
	ck_assert(!chat_rate_take(&r, 1000000));
}
END_TEST

/* ---- the room ---- */

START_TEST(room_delivers_in_order_to_the_others_not_to_the_sender)
{
	struct chat_room *room = room_new();
	struct chat_member a, b, c;
	char buf[4096];

	ck_assert_int_eq(chat_room_join(room, &a, "alice"), 1);
	ck_assert_int_eq(chat_room_join(room, &b, "bob"), 2);
	ck_assert_int_eq(chat_room_join(room, &c, "carol"), 3);
	say(&a, "one");
	say(&b, "two");
	say(&a, "three");
	ck_assert_int_eq(fetch_all(&a, buf, sizeof(buf)), CHAT_FETCH_DONE);
	ck_assert_str_eq(buf, "* bob joined\n* carol joined\nbob: two\n");
	ck_assert_int_eq(fetch_all(&b, buf, sizeof(buf)), CHAT_FETCH_DONE);
	ck_assert_str_eq(buf, "* carol joined\nalice: one\nalice: three\n");
	ck_assert_int_eq(fetch_all(&c, buf, sizeof(buf)), CHAT_FETCH_DONE);
	ck_assert_str_eq(buf, "alice: one\nbob: two\nalice: three\n");
	ck_assert_int_eq(fetch_all(&c, buf, sizeof(buf)), CHAT_FETCH_DONE);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(chat_room_leave(&b, ""), 2);
	ck_assert_int_eq(fetch_all(&a, buf, sizeof(buf)), CHAT_FETCH_DONE);
	ck_assert_str_eq(buf, "* bob left\n");
	ck_assert_int_eq(chat_room_say(&b, "x", 1), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(room_fetch_stops_at_a_full_buffer_and_resumes_in_order)
{
	struct chat_room *room = room_new();
	struct chat_member a, b;
	char buf[64];
	size_t len;

	chat_room_join(room, &a, "a");
	chat_room_join(room, &b, "b");
	say(&a, "0123456789");
	say(&a, "abcdefghij");
	ck_assert_int_eq(chat_room_fetch(&b, buf, 20, &len), CHAT_FETCH_FULL);
	ck_assert_int_eq(len, 14);
	ck_assert(memcmp(buf, "a: 0123456789\n", 14) == 0);
	ck_assert_int_eq(chat_room_fetch(&b, buf, 5, &len), CHAT_FETCH_FULL);
	ck_assert_int_eq(len, 0);
	ck_assert_int_eq(chat_room_fetch(&b, buf, sizeof(buf), &len),
	    CHAT_FETCH_DONE);
	ck_assert_int_eq(len, 14);
	ck_assert(memcmp(buf, "a: abcdefghij\n", 14) == 0);
}
END_TEST

START_TEST(room_tells_a_reader_the_ring_overtook_and_never_waits)
{
	struct chat_room *room = room_new();
	struct chat_member w, slow, fast;
	static char buf[CHAT_RING * 16];
	int i;

	chat_room_join(room, &w, "w");
	chat_room_join(room, &slow, "slow");
	chat_room_join(room, &fast, "fast");
	fetch_all(&w, buf, sizeof(buf));
	fetch_all(&slow, buf, sizeof(buf));
	for (i = 0; i < CHAT_RING; i++) {
		say(&w, "m");
		if (i % 100 == 0)
			fetch_all(&fast, buf, sizeof(buf));
	}
	ck_assert_int_eq(fetch_all(&fast, buf, sizeof(buf)), CHAT_FETCH_DONE);
	/* Exactly a ring's worth behind: still whole, until one more. */
	ck_assert(room->seq - slow.cursor == CHAT_RING);
	say(&w, "one too many");
	ck_assert_int_eq(fetch_all(&slow, buf, sizeof(buf)), CHAT_FETCH_LOST);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(fetch_all(&fast, buf, sizeof(buf)), CHAT_FETCH_DONE);
	ck_assert_str_eq(buf, "w: one too many\n");
}
END_TEST

START_TEST(room_turns_away_a_participant_beyond_the_table)
{
	struct chat_room *room = room_new();
	struct chat_member m[CHAT_SLOTS + 1];
	char nick[16];
	int i;

	for (i = 0; i < CHAT_SLOTS; i++) {
		snprintf(nick, sizeof(nick), "p%d", i);
		ck_assert_int_eq(chat_room_join(room, &m[i], nick), i + 1);
	}
	ck_assert_int_eq(chat_room_join(room, &m[i], "late"), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(chat_room_leave(&m[7], ""), CHAT_SLOTS - 1);
	ck_assert_int_eq(chat_room_join(room, &m[i], "late"), CHAT_SLOTS);
}
END_TEST

START_TEST(room_rename_refuses_taken_and_invalid_nicks)
{
	struct chat_room *room = room_new();
	struct chat_member a, b;
	char buf[256];

	chat_room_join(room, &a, "127.0.0.1:1000");
	chat_room_join(room, &b, "127.0.0.1:2000");
	ck_assert_int_eq(chat_room_rename(&a, "alice"), 0);
	ck_assert_int_eq(chat_room_rename(&b, "alice"), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(chat_room_rename(&b, "127.0.0.1:1"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(chat_room_rename(&a, "alice"), 0); /* own nick */
	fetch_all(&b, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "* 127.0.0.1:1000 is now alice\n"
	    "* alice is now alice\n");
	say(&a, "hi");
	fetch_all(&b, buf, sizeof(buf));
	ck_assert_str_eq(buf, "alice: hi\n");
}
END_TEST

START_TEST(room_who_lists_participants_in_joining_order)
{
	struct chat_room *room = room_new();
	struct chat_member a, b, c;
	char buf[256];

	chat_room_join(room, &a, "a");
	chat_room_join(room, &b, "b");
	chat_room_join(room, &c, "c");
	chat_room_leave(&a, "");
	chat_room_join(room, &a, "d"); /* takes a's slot, joins last */
	ck_assert_int_eq(chat_room_who(&b, buf, sizeof(buf)),
	    (ssize_t)strlen("* 3 here: b, c, d\n"));
	ck_assert_str_eq(buf, "* 3 here: b, c, d\n");
	ck_assert_int_eq(chat_room_who(&b, buf, 8), -1);
	ck_assert_int_eq(errno, ENOSPC);
}
END_TEST

/* The list comes after what the room said before it, under one lock. */
START_TEST(room_fetch_who_lists_after_the_messages_before_it)
{
	struct chat_room *room = room_new();
	struct chat_member a, b, c;
	char buf[256];
	size_t len;

	chat_room_join(room, &a, "a");
	chat_room_join(room, &b, "b");
	chat_room_join(room, &c, "c");
	say(&b, "hi");
	chat_room_leave(&c, " (connection lost)");
	/* Room for the messages, not for the list: no list yet. */
	ck_assert_int_eq(chat_room_fetch_who(&a, buf, 60, &len),
	    CHAT_FETCH_FULL);
	ck_assert_int_eq(len, 55);
	ck_assert(memcmp(buf,
	              "* b joined\n* c joined\nb: hi\n* c left (connection "
	              "lost)\n",
	              len) == 0);
	ck_assert_int_eq(chat_room_fetch_who(&a, buf, sizeof(buf), &len),
	    CHAT_FETCH_DONE);
	buf[len] = '\0';
	ck_assert_str_eq(buf, "* 2 here: a, b\n");
	say(&b, "bye");
	ck_assert_int_eq(chat_room_fetch_who(&a, buf, sizeof(buf), &len),
	    CHAT_FETCH_DONE);
	buf[len] = '\0';
	ck_assert_str_eq(buf, "b: bye\n* 2 here: a, b\n");
}
END_TEST

/* Forks a participant that joins room as nick and exits at once. */
static void
join_and_die(struct chat_room *room, const char *nick, bool lock_held)
{
	struct chat_member m;
	pid_t pid = fork();
	int status;

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (chat_room_join(room, &m, nick) == -1)
			_exit(1);
		/* Killed while holding the lock, as a SIGKILL may find it. */
		if (lock_held && pthread_mutex_lock(&room->lock) != 0)
			_exit(2);
		raise(SIGKILL);
		_exit(3);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

START_TEST(room_sweep_removes_a_killed_participant_and_says_so)
{
	struct chat_room *room = room_new();
	struct chat_member a;
	char buf[256];

	chat_room_join(room, &a, "a");
	join_and_die(room, "ghost", false);
	ck_assert_int_gt(chat_room_who(&a, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "* 2 here: a, ghost\n");
	/* Swept a moment ago: the tick has not come. */
	room->swept_ms = 5000;
	ck_assert_int_eq(chat_room_sweep(room, 5000 + CHAT_SWEEP_MS - 1, false),
	    0);
	ck_assert_int_eq(chat_room_sweep(room, 5000 + CHAT_SWEEP_MS, false), 1);
	ck_assert_int_eq(chat_room_sweep(room, 0, true), 0);
	chat_room_who(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "* 1 here: a\n");
	fetch_all(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "* ghost joined\n* ghost left (connection lost)\n");
}
END_TEST

START_TEST(room_sweep_removes_a_slot_whose_pid_was_reused)
{
	struct chat_room *room = room_new();
	struct chat_member a, b;
	char buf[256];

	chat_room_join(room, &a, "a");
	chat_room_join(room, &b, "b");
	/* Same pid, another start time: a new process got the old pid. */
	room->slot[b.slot].start += 1;
	ck_assert_int_eq(chat_room_sweep(room, 0, true), 1);
	chat_room_who(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "* 1 here: a\n");
	ck_assert_int_eq(chat_room_say(&b, "x", 1), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(room_lock_recovers_from_a_holder_killed_inside_it)
{
	struct chat_room *room = room_new();
	struct chat_member a, b;
	char buf[256];

	chat_room_join(room, &a, "a");
	chat_room_join(room, &b, "b");
	join_and_die(room, "holder", true);
	/* The next locker gets EOWNERDEAD, repairs, and goes on. */
	say(&a, "still here");
	fetch_all(&b, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "* holder joined\n* holder left (connection "
	    "lost)\na: still here\n");
	say(&b, "and again");
	fetch_all(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "* b joined\n* holder joined\n* holder left "
	    "(connection lost)\nb: and again\n");
}
END_TEST

START_TEST(room_is_idle_once_every_participant_is_dead)
{
	struct chat_room *room = room_new();
	struct chat_member a;

	ck_assert(chat_room_idle(room));
	join_and_die(room, "x", false);
	join_and_die(room, "y", true);
	ck_assert(chat_room_idle(room));
	chat_room_join(room, &a, "a");
	ck_assert(!chat_room_idle(room));
}
END_TEST

START_TEST(live_knows_zombies_and_reused_pids)
{
	siginfo_t info;
	uint64_t start;
	pid_t pid = fork();
	int status;

	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(chat_live_start(getpid(), &start), 0);
	ck_assert(chat_live_is(getpid(), start));
	ck_assert(chat_live_is(getpid(), 0));
	ck_assert(!chat_live_is(getpid(), start + 1));
	/* Exited but not reaped (WNOWAIT): a zombie. */
	ck_assert_int_eq(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
	ck_assert(!chat_live_is(pid, 0));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(!chat_live_is(pid, 0));
	ck_assert_int_eq(chat_live_start(pid, &start), -1);
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

/* ---- the named segment ---- */

START_TEST(seg_is_made_on_first_entry_and_shared_after)
{
	const char *name = seg_room("share");
	struct chat_seg s1, s2;

	ck_assert_int_eq(chat_seg_enter(&s1, name), 0);
	ck_assert(chat_room_valid(s1.room));
	ck_assert_int_eq(chat_seg_unlock(&s1), 0);
	s1.room->next_id = 42;
	ck_assert_int_eq(chat_seg_enter(&s2, name), 0);
	ck_assert_int_eq(s2.room->next_id, 42);
	ck_assert_int_eq(chat_seg_remove(&s2), 0);
	ck_assert_int_eq(chat_seg_unlock(&s2), 0);
	chat_seg_close(&s1);
	chat_seg_close(&s2);
}
END_TEST

START_TEST(seg_replaces_a_segment_of_another_layout)
{
	const char *room = seg_room("foreign");
	char name[64];
	struct chat_seg s;
	int fd;

	ck_assert_int_eq(chat_seg_name(name, sizeof(name), room), 0);
	/* Right size, wrong header; then wrong size. */
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(ftruncate(fd, sizeof(struct chat_room)), 0);
	ck_assert_int_eq(write(fd, "garbage!", 8), 8);
	close(fd);
	ck_assert_int_eq(chat_seg_enter(&s, room), 0);
	ck_assert(chat_room_valid(s.room));
	chat_seg_remove(&s);
	chat_seg_close(&s);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	close(fd);
	ck_assert_int_eq(chat_seg_enter(&s, room), 0);
	ck_assert(chat_room_valid(s.room));
	chat_seg_remove(&s);
	chat_seg_close(&s);
}
END_TEST

START_TEST(seg_refuses_a_segment_others_may_write)
{
	const char *room = seg_room("open");
	char name[64];
	struct chat_seg s;
	int fd;

	ck_assert_int_eq(chat_seg_name(name, sizeof(name), room), 0);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(fchmod(fd, 0666), 0);
	close(fd);
	ck_assert_int_eq(chat_seg_enter(&s, room), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(s.fd, -1);
	seg_unlink(room);
	ck_assert_int_eq(chat_seg_enter(&s, "../etc"), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/*
 * A newcomer that opened the segment just before the last participant
 * removed it must not stay alone in the unlinked copy.
 */
START_TEST(seg_newcomer_waiting_on_a_removed_segment_gets_a_live_one)
{
	const char *room = seg_room("race");
	struct chat_seg last, s;
	struct stat st;
	int p[2], status;
	char c;
	pid_t pid;

	ck_assert_int_eq(chat_seg_enter(&last, room), 0);
	last.room->next_id = 7;
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(p[0]);
		/* Blocks in flock until the parent is done. */
		if (write(p[1], "x", 1) != 1 || chat_seg_enter(&s, room) == -1)
			_exit(1);
		if (fstat(s.fd, &st) == -1 || st.st_nlink != 1)
			_exit(2);
		_exit(s.room->next_id == 0 ? 0 : 3);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	harness_sleep_ms(50); /* let the child reach flock */
	ck_assert_int_eq(chat_seg_remove(&last), 0);
	ck_assert_int_eq(chat_seg_unlock(&last), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	chat_seg_close(&last);
	close(p[0]);
	seg_unlink(room);
}
END_TEST

START_TEST(wake_fd_turns_readable_when_the_word_is_bumped)
{
	struct chat_room *room = room_new();
	static struct chat_wake w; /* its thread outlives this function */
	struct pollfd pfd;

	ck_assert_int_eq(chat_wake_start(&w, &room->wake), 0);
	pfd = (struct pollfd){ w.fd, POLLIN, 0 };
	ck_assert_int_eq(poll(&pfd, 1, 50), 0);
	chat_wake_all(&room->wake);
	ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
	ck_assert_int_eq(chat_wake_clear(&w), 0);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	/* From another process, as between handlers. */
	if (fork() == 0) {
		chat_wake_all(&room->wake);
		_exit(0);
	}
	ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
	ck_assert_int_eq(chat_wake_clear(&w), 0);
	wait(NULL);
}
END_TEST

/* A bump right after the start, before the thread ever ran, counts. */
START_TEST(wake_counts_a_bump_made_before_its_thread_runs)
{
	struct chat_room *room = room_new();
	static struct chat_wake w[8]; /* the threads outlive this function */
	struct pollfd pfd;
	int i;

	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(chat_wake_start(&w[i], &room->wake), 0);
		chat_wake_all(&room->wake);
		pfd = (struct pollfd){ w[i].fd, POLLIN, 0 };
		ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
	}
}
END_TEST

static Suite *
make_chat_suite(void)
{
	Suite *s = suite_create("chat");
	TCase *text = tcase_create("text"), *room = tcase_create("room"),
	      *seg = tcase_create("segment");

	tcase_add_test(text, chat_names_follow_the_service_name_rule);
	tcase_add_test(text, chat_lines_split_at_newlines_and_drop_one_cr);
	tcase_add_test(text,
	    chat_lines_report_an_overlong_line_once_and_skip_it);
	tcase_add_test(text,
	    chat_lines_finish_hands_out_a_last_line_without_its_newline);
	tcase_add_test(text, chat_text_clean_replaces_control_bytes_only);
	tcase_add_test(text, chat_rate_allows_a_burst_then_refills_over_time);
	suite_add_tcase(s, text);
	tcase_add_test(room,
	    room_delivers_in_order_to_the_others_not_to_the_sender);
	tcase_add_test(room,
	    room_fetch_stops_at_a_full_buffer_and_resumes_in_order);
	tcase_add_test(room,
	    room_tells_a_reader_the_ring_overtook_and_never_waits);
	tcase_add_test(room, room_turns_away_a_participant_beyond_the_table);
	tcase_add_test(room, room_rename_refuses_taken_and_invalid_nicks);
	tcase_add_test(room, room_who_lists_participants_in_joining_order);
	tcase_add_test(room, room_fetch_who_lists_after_the_messages_before_it);
	tcase_add_test(room,
	    room_sweep_removes_a_killed_participant_and_says_so);
	tcase_add_test(room, room_sweep_removes_a_slot_whose_pid_was_reused);
	tcase_add_test(room, room_lock_recovers_from_a_holder_killed_inside_it);
	tcase_add_test(room, room_is_idle_once_every_participant_is_dead);
	tcase_add_test(room, live_knows_zombies_and_reused_pids);
	tcase_add_test(room, wake_fd_turns_readable_when_the_word_is_bumped);
	tcase_add_test(room, wake_counts_a_bump_made_before_its_thread_runs);
	suite_add_tcase(s, room);
	tcase_add_test(seg, seg_is_made_on_first_entry_and_shared_after);
	tcase_add_test(seg, seg_replaces_a_segment_of_another_layout);
	tcase_add_test(seg, seg_refuses_a_segment_others_may_write);
	tcase_add_test(seg,
	    seg_newcomer_waiting_on_a_removed_segment_gets_a_live_one);
	suite_add_tcase(s, seg);
	return s;
}

int
main(void)
{
	return harness_main(make_chat_suite());
}
