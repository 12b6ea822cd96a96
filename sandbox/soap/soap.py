"""The SOAP 1.1 machinery of the sandbox: the kit's WSDL read by zeep, requests parsed with lxml
against zeep's XSD objects, responses rendered by zeep's own elements, ASMX-style faults.

Why not zeep's ``deserialize``: it reads an empty element as None, and the contract needs the
difference between a left-out text element (not set) and an empty one (clear the field). So the
request walker below keeps presence: a left-out element is a missing key, ``<Name/>`` is ``""``.
Values are converted by the XSD simple types of the WSDL (``int``, ``decimal``, ``dateTime`` …);
elements out of sequence order or unknown ones make the request malformed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zeep
from lxml import etree
from zeep.xsd import ComplexType

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
XSI_NIL = f"{{{XSI}}}nil"

# .NET MinValue sentinels ("not set"), as the WSDL declares them in ``default``.
INT_UNSET = -2147483648
SHORT_UNSET = -32768


class SoapFault(Exception):
    """A fault the service answers with: HTTP 500, ``faultstring`` = ``"<code>: <message>"``.

    ``client`` marks faults about a request the server could not read (``soap:Client``).
    """

    def __init__(self, code: str, message: str, *, client: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.client = client


class MalformedRequest(SoapFault):
    """The request does not follow the WSDL (a ``Validation`` fault, ``soap:Client``)."""

    def __init__(self, message: str) -> None:
        super().__init__("Validation", message, client=True)


@dataclass(frozen=True)
class Operation:
    """One operation of a service: request/response elements and the header elements it takes."""

    name: str
    soap_action: str
    request: Any  # zeep xsd Element
    response: Any  # zeep xsd Element
    headers: dict[str, Any]  # header element name → zeep xsd Element


class ServiceContract:
    """One WSDL file: its operations (by name and by SOAPAction) and the raw document for ``?wsdl``."""

    def __init__(self, wsdl_path: Path) -> None:
        self.path = Path(wsdl_path)
        self.wsdl_bytes = self.path.read_bytes()
        self.client = zeep.Client(str(self.path))
        self.operations: dict[str, Operation] = {}
        for binding in self.client.wsdl.bindings.values():
            for name, op in binding._operations.items():
                headers: dict[str, Any] = {}
                if op.input.header is not None and op.input.header.type is not None:
                    for hname, helement in op.input.header.type.elements:
                        headers[hname] = helement
                self.operations[name] = Operation(
                    name=name,
                    soap_action=op.soapaction or "",
                    request=op.input.body,
                    response=op.output.body,
                    headers=headers,
                )
        self.by_action = {op.soap_action: op for op in self.operations.values()}
        self.namespace = _target_ns(self.path)

    def wsdl_for(self, base_url: str) -> bytes:
        """The WSDL with ``soap:address`` pointing at this server (as ASMX does)."""
        text = self.wsdl_bytes.decode("utf-8")
        return text.replace("http://localhost/", base_url.rstrip("/") + "/").encode("utf-8")


def _target_ns(path: Path) -> str:
    root = etree.parse(str(path)).getroot()
    return root.get("targetNamespace", "")


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False)


def read_envelope(data: bytes) -> tuple[etree._Element | None, etree._Element]:
    """Parse a SOAP 1.1 envelope; returns (Header or None, the Body's first element).

    Raises MalformedRequest for anything else (not XML, a DOCTYPE, SOAP 1.2, an empty body).
    """
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise MalformedRequest(f"the request is not well-formed XML ({exc.msg})") from exc
    if root.getroottree().docinfo.doctype:
        raise MalformedRequest("a DOCTYPE is not allowed")
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise MalformedRequest("expected a SOAP 1.1 Envelope")
    header = root.find(f"{{{SOAP_ENV}}}Header")
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if body is None:
        raise MalformedRequest("the envelope has no Body")
    children = [c for c in body if isinstance(c.tag, str)]
    if len(children) != 1:
        raise MalformedRequest("the Body must hold exactly one element")
    return header, children[0]


def _local(tag: str) -> str:
    return etree.QName(tag).localname


def _is_many(element: Any) -> bool:
    return element.max_occurs == "unbounded" or (isinstance(element.max_occurs, int) and element.max_occurs > 1)


def parse_element(node: etree._Element, element: Any) -> Any:
    """``node`` as plain Python data following the XSD ``element``.

    Complex types become dicts holding only the child elements that are present (lists for
    repeated ones); ``xsi:nil`` becomes None; simple types are converted by their XSD type, and an
    empty text element stays ``""`` for strings. Raises MalformedRequest.
    """
    if node.get(XSI_NIL) in ("true", "1"):
        return None
    xsd_type = element.type
    if isinstance(xsd_type, ComplexType):
        children = [c for c in node if isinstance(c.tag, str)]
        out: dict[str, Any] = {}
        i = 0
        for name, child in xsd_type.elements:
            values = []
            while i < len(children) and children[i].tag == child.qname.text:
                values.append(parse_element(children[i], child))
                i += 1
            if _is_many(child):
                out[name] = values
            elif len(values) > 1:
                raise MalformedRequest(f"{name}: given more than once")
            elif values:
                out[name] = values[0]
        if i < len(children):
            raise MalformedRequest(f"unexpected element {_local(children[i].tag)} in {_local(node.tag)}")
        return out
    if any(isinstance(c.tag, str) for c in node):
        raise MalformedRequest(f"{_local(node.tag)}: expected a simple value")
    text = node.text or ""
    try:
        return xsd_type.pythonvalue(text)
    except Exception as exc:
        raise MalformedRequest(f"{_local(node.tag)}: {text[:40]!r} is not a valid {xsd_type.name}") from exc


def parse_request(operation: Operation, header: etree._Element | None, node: etree._Element) -> tuple[dict, dict]:
    """The operation's parameters and its SOAP headers, as dicts (see ``parse_element``)."""
    if node.tag != operation.request.qname.text:
        raise MalformedRequest(f"the Body holds {_local(node.tag)}, expected {operation.name}")
    params = parse_element(node, operation.request) or {}
    headers: dict[str, Any] = {}
    if header is not None:
        for name, element in operation.headers.items():
            found = header.find(element.qname.text)
            if found is not None:
                headers[name] = parse_element(found, element)
    return params, headers


def render_response(operation: Operation, result: Any) -> bytes:
    """The response envelope of ``operation`` with ``result`` as ``<OpResult>`` (None: left out)."""
    response = operation.response
    names = [name for name, _ in response.type.elements]
    value = response(**({names[0]: result} if names and result is not None else {}))
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "xsi": XSI, "xsd": XSD})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    response.render(body, value)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def render_fault(fault: SoapFault) -> bytes:
    """An ASMX-style fault envelope: ``faultcode`` soap:Server (soap:Client for unreadable requests)."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "xsi": XSI, "xsd": XSD})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    f = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(f, "faultcode").text = "soap:Client" if fault.client else "soap:Server"
    etree.SubElement(f, "faultstring").text = f"{fault.code}: {fault.message}"
    etree.SubElement(f, "detail")
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
