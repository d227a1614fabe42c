"""Workspace exports: each part writes its own file, then `combine` zips them.

Layout: DATA_DIR/exports/<export id>/ holds the parts while they are built;
the finished zip is DATA_DIR/exports/export-<export id>.zip and the part
directory is removed. A file that cannot be written whole (the disk is full)
is removed, and the part fails with a DiskFull error that says so.
"""
import json
import shutil
import zipfile
from datetime import timedelta
from pathlib import Path

from collab.disk import written_whole
from collab.fields import iso, utcnow
from collab.files import path_for, shorten
from collab.models import Channel, Document, Export, File, Message


def exports_dir(settings):
    path = Path(settings.data_dir) / 'exports'
    path.mkdir(parents=True, exist_ok=True)
    return path


def parts_dir(settings, export_id):
    path = exports_dir(settings) / str(export_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def zip_path(settings, export):
    return exports_dir(settings) / export.filename


def _write_json(path, data):
    with written_whole(path, 'the export'):
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    return path.name


def export_documents(settings, export):
    docs = Document.select().where(Document.workspace == export.workspace_id).order_by(Document.id)
    return [_write_json(parts_dir(settings, export.id) / 'documents.json',
                        [d.to_dict() for d in docs])]


def export_channels(settings, export):
    channels = []
    for channel in Channel.select().where(Channel.workspace == export.workspace_id).order_by(Channel.id):
        data = channel.to_dict()
        data['messages'] = [m.to_dict() for m in
                            channel.messages.order_by(Message.id)]
        channels.append(data)
    return [_write_json(parts_dir(settings, export.id) / 'channels.json', channels)]


def export_files(settings, export):
    """Copy every file (a missing one fails this part, and so the export). A failed
    part removes its copies at once: on a full disk they hold the space the rest needs."""
    target = parts_dir(settings, export.id) / 'files'
    target.mkdir(exist_ok=True)
    manifest, names = [], ['files.json']
    try:
        for f in File.select().where(File.workspace == export.workspace_id).order_by(File.id):
            # Shortened here too: a row stored before names were cut to 255 bytes
            # (or the id prefix) must not make the copy fail with "name too long".
            name = shorten(f'{f.id}-{f.name}')
            arcname = f'files/{name}'
            with written_whole(target / name, 'the export') as copy:
                shutil.copyfile(path_for(settings, f.stored_name), copy)
            manifest.append({**f.to_dict(), 'path': arcname})
            names.append(arcname)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    _write_json(parts_dir(settings, export.id) / 'files.json', manifest)
    return names


def combine(settings, export, part_names):
    """Write the zip from the parts' files; returns its file name. Written again
    whole by a retry, under the same name: one zip per export. The parts stay
    until `discard_parts`, once the export is marked ready."""
    source = parts_dir(settings, export.id)
    filename = f'export-{export.id}.zip'
    with written_whole(exports_dir(settings) / filename, 'the export zip') as path, \
            zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr('export.json', json.dumps(
            {'workspace_id': export.workspace_id, 'export_id': export.id,
             'created_at': iso(utcnow())}))
        for name in part_names:
            archive.write(source / name, name)
    return filename


def finish(export, state, filename=None, error=None):
    export.state, export.filename, export.error = state, filename, error
    export.finished_at = utcnow()
    export.save()


def discard_parts(settings, export_id):
    shutil.rmtree(exports_dir(settings) / str(export_id), ignore_errors=True)


def remove_files(settings, export):
    """Everything a deleted export left on disk: its zip and any parts."""
    if export.filename:
        zip_path(settings, export).unlink(missing_ok=True)
    discard_parts(settings, export.id)


def stored_bytes(settings, workspace_id):
    """What the workspace's finished zips take on disk (counted in its quota)."""
    total = 0
    for export in Export.select().where((Export.workspace == workspace_id)
                                        & Export.filename.is_null(False)):
        try:
            total += zip_path(settings, export).stat().st_size
        except FileNotFoundError:
            pass
    return total


def running(workspace_id):
    """The workspace's export still pending or running, or None."""
    return (Export.select().where((Export.workspace == workspace_id)
                                  & Export.state.in_([Export.PENDING, Export.RUNNING]))
            .order_by(Export.id).first())


def delete_older_than(days):
    """Delete the rows of the exports requested more than `days` ago, whatever their
    state (one still running after days is stuck); returns them, so the caller can
    remove their files once the deletion has committed."""
    old = list(Export.select().where(Export.created_at < utcnow() - timedelta(days=days)))
    if old:
        Export.delete().where(Export.id.in_([e.id for e in old])).execute()
    return old


def get(export_id):
    return Export.get_or_none(Export.id == export_id)
