"""A chat session over Streamlit's own websocket protocol, as a browser holds it: no browser.

It sends what a browser sends (reruns with widget values, ``clear_cache``) and reads the
elements the page draws, so tests can do what a hostile client can: forge a widget id, open
many sessions, claim to be forwarded from another address. Loopback only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from websockets.sync.client import connect

WAIT_S = 180  # one run of the page, on a busy two-core machine


class ChatSession:
    """One session of the chat at ``url`` (``http://127.0.0.1:port``); ``headers`` go with its handshake."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        ws_url = url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self._open = ExitStack()
        self._ws = self._open.enter_context(
            connect(ws_url, subprotocols=["streamlit"], additional_headers=headers or {}, max_size=None)
        )
        self.session_id = ""
        self.elements: list = []  # the elements drawn by the last run
        self.messages: list[ForwardMsg] = []  # every message of the last run

    def __enter__(self) -> ChatSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self._open.close()

    def run(self, *widgets: WidgetState) -> ChatSession:
        """Run the page with these widget values and read until the run is over."""
        message = BackMsg(rerun_script=ClientState(widget_states=WidgetStates(widgets=list(widgets))))
        self._ws.send(message.SerializeToString())
        return self._read_run()

    def clear_cache(self) -> None:
        """Ask the server to clear its caches, as the page's menu does."""
        self._ws.send(BackMsg(clear_cache=True).SerializeToString())

    def widget(self, kind: str, label: str) -> str:
        """The id of the drawn ``kind`` widget (``button``, ``text_input``, ...) with ``label``."""
        for element in self.elements:
            if element.WhichOneof("type") == kind:
                found = getattr(element, kind)
                if label in (getattr(found, "label", ""), getattr(found, "placeholder", "")):
                    return found.id
        raise AssertionError(f"no {kind} {label!r} on the page: {self.texts()}")

    def texts(self) -> list[str]:
        """Every alert, markdown and exception text drawn by the last run."""
        texts = []
        for element in self.elements:
            kind = element.WhichOneof("type")
            if kind in ("alert", "markdown"):
                texts.append(getattr(element, kind).body)
            elif kind == "exception":
                texts.append(f"{element.exception.type}: {element.exception.message} {element.exception.stack_trace}")
        return texts

    def _read_run(self) -> ChatSession:
        self.elements, self.messages = [], []
        for message in self._messages():
            self.messages.append(message)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.session_id = message.new_session.initialize.session_id
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                self.elements.append(message.delta.new_element)
            elif kind == "script_finished" and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return self
        raise AssertionError("the connection closed before the run finished")

    def _messages(self) -> Iterator[ForwardMsg]:
        while True:
            message = ForwardMsg()
            message.ParseFromString(self._ws.recv(timeout=WAIT_S))
            yield message


def text(widget_id: str, value: str) -> WidgetState:
    """A text input's value."""
    return WidgetState(id=widget_id, string_value=value)


def click(widget_id: str) -> WidgetState:
    """A button's click."""
    return WidgetState(id=widget_id, trigger_value=True)


def chat(widget_id: str, question: str) -> WidgetState:
    """A question sent from the chat input."""
    state = WidgetState(id=widget_id)
    state.chat_input_value.data = question
    return state
