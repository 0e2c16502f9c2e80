"""The console platform: chat with the bot in a terminal through the shared handlers.

It plays the role of errbot's text backend: no tokens, no network to a chat service, the
same commands and the same digests as on Telegram or Discord, rendered as plain text. Tests
drive it line by line to exercise every handler end to end.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.i18n import N_, _, using
from bot.models import Action, ChatTarget
from bot.platforms.base import PartsProgress
from bot.platforms.console.render import numbered_actions, render_reply_text
from bot.platforms.intake import CommandIntake
from handlers.model import Command, Document, Reply, User
from handlers.parsing import parse_command_line
from handlers.registry import ArgKind, CommandRegistry, CommandSpec
from handlers.services import Services

CONSOLE_TARGET = ChatTarget(platform="console", chat_id="local")
CONSOLE_USER = User(id="local", name="console user")
PROMPT = "newsdigest> "
FILE_HINT = N_("give the file's path after the command, e.g. /import subscriptions.opml")
NO_SCHEDULER_NOTE = N_(
    "Note: the console runs no scheduler, so this chat gets no scheduled digests; "
    "/digest shows the news here. Telegram and Discord chats get theirs from the running bot."
)
OPTIONS_HINT = N_("Type a number to choose.")
QUIT_WORDS = frozenset({"/quit", "/exit", "quit", "exit"})


def environment_locale(environ: Mapping[str, str] = os.environ) -> str | None:
    """The terminal's language as the C library would pick it (LC_ALL, LC_MESSAGES, LANG):
    "de_DE.UTF-8" is German; "C" and "POSIX" say nothing."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").split(".", 1)[0].split("@", 1)[0]
        if value:
            return None if value in ("C", "POSIX") else value
    return None


class ConsolePlatform:
    """Reads commands from a text stream and writes replies to another."""

    name = "console"

    def __init__(
        self,
        registry: CommandRegistry,
        services: Services,
        *,
        stdin: TextIO,
        stdout: TextIO,
        interactive: bool = False,
        target: ChatTarget = CONSOLE_TARGET,
        user: User = CONSOLE_USER,
        download_dir: Path | None = None,
        locale: str | None = None,
    ) -> None:
        """``locale``: the language of the person at the terminal (main.py passes
        ``--language``, else the environment's), which the chat follows until /language
        chooses one; None is English."""
        self.registry = registry
        self.services = services
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = interactive
        self.target = target
        self.user = user
        self.download_dir = download_dir or Path.cwd()
        self.locale = locale
        self.intake = CommandIntake(services, platform=self.name)
        # The numbered options of the last reply: typing a number presses one; and the
        # language they were shown in, for a complaint about a number out of range.
        self.options: list[Action] = []
        self.options_locale: str | None = None

    async def start(self) -> None:
        with using(self.locale):
            self._write(_("Type /help for the commands, /quit to leave."))

    async def stop(self) -> None:
        self.stdout.flush()

    async def send(
        self, target: ChatTarget, reply: Reply, *, progress: PartsProgress | None = None
    ) -> list[str]:
        """Print the reply and its numbered options; one write, so there is no part to
        resume (``progress``). The options replace those of the previous reply."""
        text = render_reply_text(reply)
        self.options, lines = numbered_actions(reply.actions)
        self.options_locale = reply.locale
        if lines:
            with using(reply.locale):
                text += "\n" + "\n".join([*lines, _(OPTIONS_HINT)])
        self._write(text)
        if reply.document is not None:
            path = self.download_dir / reply.document.filename
            await asyncio.to_thread(path.write_bytes, reply.document.content)
            with using(reply.locale):
                self._write(_("Saved {path}").format(path=path))
        return []

    async def handle_line(self, line: str) -> Reply | None:
        """Run one typed line as a command and print the reply; blank lines are ignored."""
        line = line.strip()
        if not line:
            return None
        pressed = self._pressed(line)
        if not line.startswith("/"):
            line = "/" + line
        parsed = parse_command_line(line)
        if pressed is not None:
            parsed = (pressed.command, pressed.args)
        options, options_locale = self.options, self.options_locale
        if pressed is None and options and line[1:].isascii() and line[1:].isdigit():
            with using(options_locale) as language:
                complaint = _("There is no option {number}: choose 1 to {count}.")
                reply = replace(
                    Reply.error(complaint.format(number=line[1:], count=len(options))),
                    locale=language,
                )
            await self.send(self.target, reply)
            # A mistyped number: the options still stand.
            self.options, self.options_locale = options, options_locale
            return reply
        if parsed is None:
            with using(self.locale):
                reply = Reply.error(_("That is not a command. Type /help."))
        else:
            name, args = parsed
            await self.intake.on_contact(self.target)
            args, attachment, problem = await self._attach_file(name, args)
            if problem is not None:
                with using(self.locale):
                    reply = Reply.error(problem)
            else:
                command = Command(
                    platform=self.name,
                    target=self.target,
                    user=self.user,
                    name=name,
                    args=args,
                    is_admin=True,  # the person at the terminal owns this chat
                    attachment=attachment,
                    file_hint=FILE_HINT,
                    pressed=pressed is not None,
                    locale=self.locale,
                )
                reply = self._with_console_note(
                    self.registry.get(name),
                    await self.registry.dispatch(self.services, command, say_now=self._say_now),
                )
        await self.intake.answer(
            self.target, reply, lambda progress: self.send(self.target, reply, progress=progress)
        )
        return reply

    def _pressed(self, line: str) -> Action | None:
        """The option a typed number picks from the last reply's, else None (a command)."""
        # Six digits at most: int() refuses thousands of them, and no list is that long.
        if not line.isascii() or not line.isdigit() or len(line) > 6 or not self.options:
            return None
        index = int(line) - 1
        return self.options[index] if 0 <= index < len(self.options) else None

    async def _attach_file(
        self, name: str, args: tuple[str, ...]
    ) -> tuple[tuple[str, ...], Document | None, str | None]:
        """For commands that take a file, the console's argument is a local path.

        (remaining arguments, the file, the problem reading it — then the command is not
        run, so there is one error, not a second one about the missing file).
        """
        spec = self.registry.get(name)
        if spec is None or not args or not any(a.kind is ArgKind.FILE for a in spec.args):
            return args, None, None
        path = Path(args[0])
        try:
            content = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            with using(self.locale):
                problem = _("cannot read {path}: {error}").format(
                    path=path, error=exc.strerror or exc
                )
            return args[1:], None, problem
        return args[1:], Document(filename=path.name, content=content), None

    async def _say_now(self, text: str) -> None:
        self._write(text)

    @staticmethod
    def _with_console_note(spec: CommandSpec | None, reply: Reply) -> Reply:
        """The console runs no scheduler: say so where a command is about scheduled digests."""
        if spec is None or not spec.about_scheduled_digests or reply.is_error:
            return reply
        with using(reply.locale):
            return replace(reply, lines=(*reply.lines, _(NO_SCHEDULER_NOTE)))

    async def run(self) -> None:
        """Serve until end of input or /quit."""
        await self.start()
        while True:
            if self.interactive:
                self.stdout.write(PROMPT)
                self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line or line.strip().lower() in QUIT_WORDS:
                break
            await self.handle_line(line)
        await self.stop()

    def _write(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()
