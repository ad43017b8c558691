/* Hysteresis: a two-level, N-sample latch so a value near a line does not flap.
 *
 * The latch raises when the value has been at or beyond `raise` for `samples`
 * consecutive observations, and clears when it has been back past `clear` for
 * `clear_samples` consecutive observations. Values between the two levels
 * reset both counters and keep the current state (Netdata's status-dependent
 * thresholds, Monit's "N cycles"). Pure: no clock, no I/O.
 *
 * Direction: HYST_HIGH_IS_BAD (disk used %, CPU busy %) needs raise >= clear;
 * HYST_LOW_IS_BAD (free inodes, days to certificate expiry) needs raise <= clear.
 */
#ifndef SREBOT_CORE_HYSTERESIS_H
#define SREBOT_CORE_HYSTERESIS_H

enum hyst_direction { HYST_HIGH_IS_BAD = 0, HYST_LOW_IS_BAD = 1 };
enum hyst_event { HYST_NONE = 0, HYST_RAISED, HYST_CLEARED };

struct hysteresis {
    /* configuration */
    double raise;
    double clear;
    unsigned samples;       /* consecutive bad samples to raise (>= 1) */
    unsigned clear_samples; /* consecutive good samples to clear (>= 1) */
    enum hyst_direction direction;
    /* state */
    int firing;
    unsigned bad_run;
    unsigned good_run;
};

/* Returns 0, or -1 when the levels are inverted for the direction or a count is 0. */
int hysteresis_init(struct hysteresis *h, double raise, double clear, unsigned samples,
                    unsigned clear_samples, enum hyst_direction direction);
/* Feeds one observation; reports the transition it caused, if any. */
enum hyst_event hysteresis_update(struct hysteresis *h, double value);

#endif
