"""Locust load test of a realistic mix of Ciel's API: mostly feed reads, a few writes and logins.

    make loadtest                       # prepares the data, starts the servers, runs this file

Run through ``bench.loadtest_run``, which prepares a JSON file of identities (access tokens
and ready media of sampled users), logins and popular handles, and passes its path in
LOADTEST_DATA. This file imports nothing of Django: Locust's load generator runs on the same
two cores as the server, so it does as little as it can.

Every simulated user plays a group of identities of its own (a phone app reopened by
different people), so no two simulated users ever post the same media item. Responses that
a real client meets in normal use (a 409 at the follow cap, a 404 across a block) count as
successes and are tallied by status code; anything else, and every 5xx, is a failure.
"""

import json
import os
import random
from collections import Counter, deque
from dataclasses import dataclass, field
from itertools import count
from typing import Any
from urllib.parse import quote

from locust import events, task
from locust.contrib.fasthttp import FastHttpUser, ResponseContextManager
from locust.env import Environment
from locust.runners import WorkerRunner

API = "/api/v1"
# Think time between two actions of one simulated user, in seconds ("0.5,1.5").
WAIT_MIN, WAIT_MAX = (float(x) for x in os.environ.get("LOADTEST_WAIT", "0.5,1.5").split(","))
# 1 media item in most posts, sometimes a few, rarely a full carousel.
MEDIA_PER_POST = (1,) * 14 + (2, 2, 3, 4) + (6, 10)
CAPTIONS = ("morning walk", "fog over the harbour", "street portrait", "coffee #2", "night market")

with open(os.environ["LOADTEST_DATA"], encoding="utf-8") as data_file:
    DATA: dict[str, Any] = json.load(data_file)

# (endpoint name, status code) -> responses; the driver prints it beside Locust's statistics.
STATUSES: Counter[tuple[str, int]] = Counter()
_next_group = count()


@dataclass
class Identity:
    handle: str
    token: str
    media: list[str]
    seen: deque[str] = field(default_factory=lambda: deque(maxlen=100))
    liked: list[str] = field(default_factory=list)
    followed: list[str] = field(default_factory=list)
    cursor: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def popular_handle(exclude: str) -> str:
    """A handle picked as people pick profiles to look at: mostly the popular ones."""
    handles = DATA["popular_handles"]
    while True:
        handle = handles[int(len(handles) * random.random() ** 3)]
        if handle != exclude:
            return handle


class CielUser(FastHttpUser):
    def wait_time(self) -> float:
        return random.uniform(WAIT_MIN, WAIT_MAX)

    def on_start(self) -> None:
        groups = DATA["groups"]
        group = groups[next(_next_group) % len(groups)]
        self.identities = [Identity(i["handle"], i["token"], list(i["media"])) for i in group]

    def request(
        self, method: str, path: str, name: str, who: Identity, ok: tuple[int, ...], **kwargs: Any
    ) -> Any:
        """One API call; the JSON body on an expected status, else None (and a failure)."""
        response: ResponseContextManager
        with self.client.request(
            method, API + path, name=name, headers=who.headers, catch_response=True, **kwargs
        ) as response:
            STATUSES[(name, response.status_code)] += 1
            if response.status_code not in ok:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
                return None
            response.success()
            return response.json() if response.text else {}

    def someone(self) -> Identity:
        return random.choice(self.identities)

    def remember_posts(self, who: Identity, body: dict | None) -> None:
        if body:
            who.seen.extend(post["id"] for post in body["results"])

    def seen_post(self, who: Identity) -> str:
        """A post this identity saw in a list; else one of the prepared recent public posts."""
        return random.choice(who.seen) if who.seen else random.choice(DATA["posts"])

    # Reads: what a person scrolling the app does most.

    @task(38)
    def home_first_page(self) -> None:
        who = self.someone()
        body = self.request("GET", "/feed/home", "GET /feed/home", who, (200,))
        self.remember_posts(who, body)
        who.cursor = body["next_cursor"] if body else None

    @task(10)
    def home_next_page(self) -> None:
        """Scrolling on: the next page after this identity's last one, if there is one."""
        who = self.someone()
        if who.cursor is None:
            self.home_first_page()
            return
        path = f"/feed/home?cursor={quote(who.cursor)}"
        body = self.request("GET", path, "GET /feed/home?cursor", who, (200,))
        self.remember_posts(who, body)
        who.cursor = body["next_cursor"] if body else None

    @task(8)
    def explore(self) -> None:
        who = self.someone()
        self.remember_posts(
            who, self.request("GET", "/feed/explore", "GET /feed/explore", who, (200,))
        )

    @task(8)
    def profile(self) -> None:
        who = self.someone()
        handle = popular_handle(who.handle)
        # 404: the two are in a block relationship, which hides the profile.
        self.request("GET", f"/users/{handle}", "GET /users/[handle]", who, (200, 404))

    @task(5)
    def profile_posts(self) -> None:
        who = self.someone()
        handle = popular_handle(who.handle)
        body = self.request(
            "GET", f"/users/{handle}/posts", "GET /users/[handle]/posts", who, (200, 404)
        )
        self.remember_posts(who, body)

    @task(10)
    def post_detail(self) -> None:
        who = self.someone()
        self.request("GET", f"/posts/{self.seen_post(who)}", "GET /posts/[id]", who, (200,))

    @task(5)
    def comments(self) -> None:
        who = self.someone()
        post = self.seen_post(who)
        self.request("GET", f"/posts/{post}/comments", "GET /posts/[id]/comments", who, (200,))

    # Writes: a few likes, fewer comments, posts and follows.

    @task(6)
    def like(self) -> None:
        who = self.someone()
        post = self.seen_post(who)
        body = self.request("POST", f"/posts/{post}/like", "POST /posts/[id]/like", who, (200,))
        if body is not None:
            who.liked.append(post)

    @task(2)
    def unlike(self) -> None:
        likers = [identity for identity in self.identities if identity.liked]
        if likers:
            who = random.choice(likers)
            post = who.liked.pop(random.randrange(len(who.liked)))
            self.request("DELETE", f"/posts/{post}/like", "DELETE /posts/[id]/like", who, (200,))

    @task(2)
    def comment(self) -> None:
        who = self.someone()
        post = self.seen_post(who)
        self.request(
            "POST",
            f"/posts/{post}/comments",
            "POST /posts/[id]/comments",
            who,
            (201,),
            json={"body": random.choice(("Lovely light!", "Where is this?", "😍", "Great shot"))},
        )

    @task(2)
    def create_post(self) -> None:
        who = self.someone()
        wanted = random.choice(MEDIA_PER_POST)
        if len(who.media) < wanted:
            return  # this identity has used its prepared uploads
        media, who.media = who.media[:wanted], who.media[wanted:]
        body = {"caption": random.choice(CAPTIONS), "visibility": "public", "media_ids": media}
        self.request("POST", "/posts", "POST /posts", who, (201,), json=body)

    @task(2)
    def follow(self) -> None:
        who = self.someone()
        handle = popular_handle(who.handle)
        # 409: this identity is at the follow cap, or in a block relationship with the target.
        body = self.request(
            "POST", f"/users/{handle}/follow", "POST /users/[handle]/follow", who, (200, 409)
        )
        if body and body.get("following"):
            who.followed.append(handle)

    @task(1)
    def unfollow(self) -> None:
        followers = [identity for identity in self.identities if identity.followed]
        if followers:
            who = random.choice(followers)
            handle = who.followed.pop(random.randrange(len(who.followed)))
            self.request(
                "DELETE", f"/users/{handle}/follow", "DELETE /users/[handle]/follow", who, (200,)
            )

    @task(1)
    def login(self) -> None:
        credentials = random.choice(DATA["logins"])
        with self.client.post(
            f"{API}/auth/login", json=credentials, name="POST /auth/login", catch_response=True
        ) as response:
            STATUSES[("POST /auth/login", response.status_code)] += 1
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")


@events.spawning_complete.add_listener
def reset_statuses(user_count: int, **_kwargs: Any) -> None:
    """Locust resets its statistics once every user runs (--reset-stats); so does the tally."""
    STATUSES.clear()


@events.quitting.add_listener
def write_statuses(environment: Environment, **_kwargs: Any) -> None:
    """Leave the status-code tally where the driver reads it."""
    path = os.environ.get("LOADTEST_STATUSES")
    if path and not isinstance(environment.runner, WorkerRunner):
        rows = [[name, code, n] for (name, code), n in sorted(STATUSES.items())]
        with open(path, "w", encoding="utf-8") as out:
            json.dump(rows, out)
