#include "core/hysteresis.h"

int hysteresis_init(struct hysteresis *h, double raise, double clear, unsigned samples,
                    unsigned clear_samples, enum hyst_direction direction)
{
    if (samples == 0 || clear_samples == 0)
        return -1;
    if (direction == HYST_HIGH_IS_BAD ? clear > raise : clear < raise)
        return -1;
    h->raise = raise;
    h->clear = clear;
    h->samples = samples;
    h->clear_samples = clear_samples;
    h->direction = direction;
    h->firing = 0;
    h->bad_run = 0;
    h->good_run = 0;
    return 0;
}

static int beyond_raise(const struct hysteresis *h, double v)
{
    return h->direction == HYST_HIGH_IS_BAD ? v >= h->raise : v <= h->raise;
}

/* Strictly back past the clear level: a value sitting exactly on it is not "good". */
static int past_clear(const struct hysteresis *h, double v)
{
    return h->direction == HYST_HIGH_IS_BAD ? v < h->clear : v > h->clear;
}

enum hyst_event hysteresis_update(struct hysteresis *h, double value)
{
    /* NaN compares false everywhere: it lands in the dead band (streaks restart). */
    if (beyond_raise(h, value)) {
        h->good_run = 0;
        if (h->bad_run < h->samples)
            h->bad_run++;
        if (!h->firing && h->bad_run >= h->samples) {
            h->firing = 1;
            return HYST_RAISED;
        }
        return HYST_NONE;
    }
    h->bad_run = 0;
    if (past_clear(h, value)) {
        if (h->good_run < h->clear_samples)
            h->good_run++;
        if (h->firing && h->good_run >= h->clear_samples) {
            h->firing = 0;
            return HYST_CLEARED;
        }
        return HYST_NONE;
    }
    h->good_run = 0; /* in the dead band: keep the state, restart both counts */
    return HYST_NONE;
}
