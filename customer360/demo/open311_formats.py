"""GeoReport v2's two formats: every answer of the demo Open311 server as JSON or as the spec's XML.

The spec names each document's XML elements (`services/service`, `service_definition/attributes/
attribute/values/value`, `service_requests/request`, `errors/error`, `discovery/endpoints/endpoint/
formats/format`); the JSON is the same tree without the wrapping element. Answers are built once
as plain lists and dicts and rendered by the extension the client asked for (`.json` or `.xml`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from starlette.responses import JSONResponse, Response

FORMATS = ("json", "xml")
XML_MEDIA_TYPE = "text/xml; charset=utf-8"

# The element each list's items are called in XML, by the list's own element name.
_ITEM_NAMES = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "history": "event",
    "extensions": "extension",
}


def render(fmt: str, root: str, document: Any, *, status_code: int = 200) -> Response:
    """`document` (a list or dict) as JSON, or as XML under the element `root`."""
    if fmt == "xml":
        return Response(to_xml(root, document), status_code=status_code, media_type=XML_MEDIA_TYPE)
    return JSONResponse(document, status_code=status_code)


def to_xml(root: str, document: Any) -> bytes:
    element = Element(root)
    _fill(element, document)
    rendered: bytes = tostring(element, encoding="utf-8", xml_declaration=True)
    return rendered


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for name, child in value.items():
            _fill(SubElement(element, name), child)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        item_name = _ITEM_NAMES.get(element.tag, "item")
        for child in value:
            _fill(SubElement(element, item_name), child)
    elif value is None:
        pass  # an empty element: the spec's way of saying "not given"
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)
