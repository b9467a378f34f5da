"""Drive LibreOffice as a user would, through its UNO API (run by the system python3 that has ``uno``):

    python3 tests/lo_uno.py BOOK OUT rename OLD NEW [add NAME] ...

Opens BOOK, applies the actions in order (``rename OLD NEW``: rename a sheet; ``add NAME``: insert an empty
sheet at the end; ``type SHEET CELL TEXT``: type into a cell), and saves as .xlsx to OUT. Used by the tests to
show that what arxl records survives a user's edits and a save by LibreOffice.
"""

import contextlib
import os
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def main(source, target, actions):
    profile = tempfile.mkdtemp(prefix="arxl-lo-")
    port = 20000 + os.getpid() % 20000
    office = subprocess.Popen(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                               f"--accept=socket,host=127.0.0.1,port={port};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(240):
            try:
                url = f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext"
                context = resolver.resolve(url)
                break
            except Exception:
                time.sleep(0.25)
        else:
            raise SystemExit("LibreOffice did not start")
        desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(source)), "_blank", 0,
                                                (prop("Hidden", True),))
        sheets = document.Sheets
        words = list(actions)
        while words:
            verb = words.pop(0)
            if verb == "rename":
                old, new = words.pop(0), words.pop(0)
                sheets.getByName(old).Name = new
            elif verb == "add":
                sheets.insertNewByName(words.pop(0), sheets.Count)
            elif verb == "type":
                sheet, cell, text = words.pop(0), words.pop(0), words.pop(0)
                sheets.getByName(sheet).getCellRangeByName(cell).setString(text)
            else:
                raise SystemExit(f"unknown action {verb}")
        document.storeToURL(uno.systemPathToFileUrl(os.path.abspath(target)),
                            (prop("FilterName", "Calc MS Excel 2007 XML"),))
        document.close(True)
        with contextlib.suppress(Exception):  # LibreOffice may close the bridge as it quits
            desktop.terminate()
    finally:
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            office.kill()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
