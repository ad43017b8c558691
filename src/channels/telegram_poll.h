/* Long polling for Telegram channels whose settings say "updates": "poll"
 * (no public URL reaches the bot): one thread calls getUpdates for each such
 * channel of the current policy with a bounded long-poll timeout
 * (poll_timeout_seconds, default 25, at most 50) and at most 20 updates a
 * call, hands each callback query to chat_service_handle() and moves the
 * offset past it (Telegram then forgets it). Offsets live in memory: after a
 * restart Telegram sends the unconfirmed updates again and the decisions they
 * carry are refused as already made. Errors wait (Telegram's retry_after, else
 * a backoff up to 30 s) before the next call. */
#ifndef SREBOT_CHANNELS_TELEGRAM_POLL_H
#define SREBOT_CHANNELS_TELEGRAM_POLL_H

struct chat_service;
struct telegram_poller;

int telegram_poller_start(struct chat_service *chat, struct telegram_poller **out);
/* Stops the thread (an in-flight long poll ends within ~100 ms). Accepts NULL. */
void telegram_poller_stop(struct telegram_poller *p);

#endif
